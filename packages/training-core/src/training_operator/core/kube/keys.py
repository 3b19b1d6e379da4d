"""Fresh SSH key material for a job whose framework asks for it (`Framework.wants_key_pair`; MPIJob).

Generating a key draws random numbers, so it happens here in the adapter, once per reconcile that needs it,
and the pair reaches the engine in the observed `Snapshot`: the plan stays a pure function of its inputs.
Once the job's Secret exists, the framework reads nothing new and no key is generated again.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def ssh_key_pair() -> tuple[bytes, bytes]:
    """A fresh ECDSA P-521 pair: SEC1 PEM private key and an OpenSSH public-key line ending in a newline."""
    key = ec.generate_private_key(ec.SECP521R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public + b"\n"
