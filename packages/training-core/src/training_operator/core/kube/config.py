"""Where the API server is and how to authenticate: a kubeconfig file or the in-cluster service account.

Parsed here once so that our own watches/writes (aiohttp) and kopf's job watches use the same credentials.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class ClusterAccess:
    """Server URL and credentials for one cluster."""

    server: str
    token: str | None = None
    ca_data: bytes | None = None
    ca_path: str | None = None
    cert_path: str | None = None
    key_path: str | None = None
    insecure: bool = False
    namespace: str = "default"

    def ssl_context(self) -> ssl.SSLContext | bool:
        """The TLS context for aiohttp (False for plain http)."""
        if self.server.startswith("http://"):
            return False
        context = ssl.create_default_context()
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if self.ca_data:
            context.load_verify_locations(cadata=self.ca_data.decode())
        elif self.ca_path:
            context.load_verify_locations(cafile=self.ca_path)
        if self.cert_path and self.key_path:
            context.load_cert_chain(self.cert_path, self.key_path)
        return context


def load(kubeconfig: str | None = None, *, context: str | None = None) -> ClusterAccess:
    """From `kubeconfig`, else $KUBECONFIG, else the in-cluster service account, else ~/.kube/config."""
    path = kubeconfig or os.environ.get("KUBECONFIG")
    if not path and (SERVICE_ACCOUNT / "token").exists():
        return _in_cluster()
    return _from_file(Path(path or Path.home() / ".kube" / "config"), context)


def _in_cluster() -> ClusterAccess:
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
    return ClusterAccess(
        server=f"https://{host}:{port}",
        token=(SERVICE_ACCOUNT / "token").read_text().strip(),
        ca_path=str(SERVICE_ACCOUNT / "ca.crt"),
        namespace=(SERVICE_ACCOUNT / "namespace").read_text().strip(),
    )


def _from_file(path: Path, context_name: str | None) -> ClusterAccess:
    document: dict[str, Any] = yaml.safe_load(path.read_text()) or {}
    name = context_name or document.get("current-context")
    context = _named(document.get("contexts"), name)
    cluster = _named(document.get("clusters"), context.get("cluster"))
    user = _named(document.get("users"), context.get("user"))
    base = path.parent
    return ClusterAccess(
        server=cluster["server"],
        token=user.get("token"),
        ca_data=_decoded(cluster.get("certificate-authority-data")),
        ca_path=_relative(base, cluster.get("certificate-authority")),
        cert_path=_material(base, user, "client-certificate"),
        key_path=_material(base, user, "client-key"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        namespace=context.get("namespace") or "default",
    )


def _named(entries: Any, name: Any) -> dict[str, Any]:
    for entry in entries or []:
        if entry.get("name") == name:
            found: dict[str, Any] = entry.get("context") or entry.get("cluster") or entry.get("user") or {}
            return found
    raise ValueError(f"kubeconfig has no entry named {name!r}")


def _decoded(data: str | None) -> bytes | None:
    return base64.b64decode(data) if data else None


def _relative(base: Path, value: str | None) -> str | None:
    return None if not value else str(base / value)


def _material(base: Path, user: dict[str, Any], key: str) -> str | None:
    """A client certificate or key as a file path (ssl only loads chains from files)."""
    if user.get(key):
        return _relative(base, user[key])
    data = user.get(f"{key}-data")
    if not data:
        return None
    handle = tempfile.NamedTemporaryFile(prefix="training-operator-", delete=False)  # noqa: SIM115
    with handle:
        handle.write(base64.b64decode(data))
    os.chmod(handle.name, 0o600)
    return handle.name
