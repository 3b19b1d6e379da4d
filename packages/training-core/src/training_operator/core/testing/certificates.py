"""A TLS server's certificate signed by an authority of its own, for tests of https proxies and servers that
are no kin of the cluster's (a corporate proxy's certificate comes from the company's authority). Needs the
`kube` extra's cryptography; not imported by `core.testing` itself, so importing that stays light."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def serving_loopback(directory: Path, authority: str = "test authority") -> tuple[ssl.SSLContext, bytes]:
    """A server-side TLS context for 127.0.0.1 (valid for a day), and the PEM of the authority named
    `authority` that signed it (distinct names: OpenSSL picks an authority by its name)."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    authority_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, authority)])

    def signed(
        subject: x509.Name, public_key: ec.EllipticCurvePublicKey, extension: x509.ExtensionType
    ) -> bytes:
        builder = x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        builder = builder.serial_number(x509.random_serial_number()).not_valid_before(now)
        builder = builder.not_valid_after(now + datetime.timedelta(days=1)).add_extension(extension, False)
        return builder.sign(authority_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    authority_pem = signed(
        issuer, authority_key.public_key(), x509.BasicConstraints(ca=True, path_length=None)
    )
    leaf = signed(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]),
        key.public_key(),
        x509.SubjectAlternativeName([x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]),
    )
    cert_path, key_path = directory / "serving.crt", directory / "serving.key"
    cert_path.write_bytes(leaf)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context, authority_pem
