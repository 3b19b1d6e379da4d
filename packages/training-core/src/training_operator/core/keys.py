"""Fresh SSH key material for a job whose framework asks for it (`Framework.wants_key_pair`; MPIJob).

Generating a key draws random numbers, so it happens outside planning: the adapter (and `render`) calls this
once for a reconcile that needs it, and the pair reaches the engine in the observed `Snapshot`, so a plan
stays a pure function of its inputs. Once the job's Secret exists, no key is generated again.

It needs the cryptography package: the `ssh` extra, which the `kube` extra and the MPI plug-in request.
"""

from __future__ import annotations

from training_operator.core.errors import ReconcileError


def ssh_key_pair() -> tuple[bytes, bytes]:
    """A fresh ECDSA P-521 pair: SEC1 PEM private key and an OpenSSH public-key line ending in a newline."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        raise ReconcileError(
            "an SSH key pair needs the cryptography package: pip install 'training-operator-core[ssh]'"
        ) from None
    key = ec.generate_private_key(ec.SECP521R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public + b"\n"
