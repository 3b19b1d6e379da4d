"""TLS settings of one cluster as an `ssl.SSLContext`, built without leaving key material on disk.

Python's `ssl` loads a client certificate chain only from a path. Keys that come as data (kubeconfig
`client-key-data`, an exec plug-in's `clientKeyData`) are handed to it through an anonymous in-memory file
(`memfd_create`, Linux) read through /proc/self/fd; elsewhere through a private temporary directory that is
removed as soon as the chain is loaded. Either way nothing outlives the call, whatever happens to the
process afterwards (client-go keeps such keys in memory too; the official Python client writes them to
temporary files it removes only at a clean exit).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from training_operator.core.errors import AccessError


@dataclass(frozen=True, slots=True)
class Material:
    """PEM data or file paths for the CA and the client certificate; each as data or as a file, not both."""

    ca_pem: bytes | None = None
    ca_file: str | None = None
    cert_pem: bytes | None = None
    cert_file: str | None = None
    key_pem: bytes | None = None
    key_file: str | None = None
    insecure: bool = False

    @property
    def has_client_certificate(self) -> bool:
        """A client certificate and its key are both present."""
        return bool((self.cert_pem or self.cert_file) and (self.key_pem or self.key_file))


def pem(data: str | bytes | None, what: str) -> bytes | None:
    """Kubeconfig `*-data` fields are base64 of PEM; exec plug-ins hand over PEM itself. Accept both."""
    if not data:
        return None
    raw = data.encode() if isinstance(data, str) else data
    if raw.lstrip().startswith(b"-----BEGIN"):
        return raw
    try:
        return base64.b64decode(raw, validate=False)
    except (binascii.Error, ValueError):
        raise AccessError(f"{what} is neither PEM nor base64 of PEM") from None


def context(material: Material) -> ssl.SSLContext:
    """A client context trusting the cluster's CA (or the system's), presenting the client certificate."""
    try:
        created = ssl.create_default_context(
            cafile=material.ca_file, cadata=material.ca_pem.decode() if material.ca_pem else None
        )
    except (OSError, ssl.SSLError, ValueError) as error:
        raise AccessError(f"cannot load the cluster's CA certificate: {error}") from None
    if material.insecure:
        created.check_hostname = False
        created.verify_mode = ssl.CERT_NONE
    if material.has_client_certificate:
        _load_chain(created, material)
    return created


def _load_chain(target: ssl.SSLContext, material: Material) -> None:
    with contextlib.ExitStack() as stack:
        cert = material.cert_file or stack.enter_context(_transient(material.cert_pem or b""))
        key = material.key_file or stack.enter_context(_transient(material.key_pem or b""))
        try:
            target.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as error:
            raise AccessError(f"cannot load the client certificate and key: {error}") from None


@contextlib.contextmanager
def _transient(data: bytes) -> Iterator[str]:
    """A path whose content is `data` for the duration of the block, and nothing after it."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and Path("/proc/self/fd").is_dir():
        descriptor = memfd("training-operator-tls", os.MFD_CLOEXEC)
        try:
            os.write(descriptor, data)
            yield f"/proc/self/fd/{descriptor}"
        finally:
            os.close(descriptor)
        return
    with tempfile.TemporaryDirectory(prefix="training-operator-") as folder:  # created 0700
        path = Path(folder, "material.pem")
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        yield str(path)
