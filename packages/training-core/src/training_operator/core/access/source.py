"""`load()`: the one place the operator, kopf's login hook, the SDK and the CLI learn where the API server
is and how to authenticate, so all of them work wherever kubectl works.

Order (controller-runtime's and Kubeflow's SDK's): an explicit kubeconfig (`--kubeconfig`), else every file
of `$KUBECONFIG`, else the pod's service account, else ~/.kube/config. Only the standard library and PyYAML
are imported, so a CLI command that never reaches a server does not pay for an HTTP client.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from training_operator.core.access import auth, kubeconfig, tls
from training_operator.core.errors import AccessError

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True, slots=True)
class Login:
    """Everything a foreign HTTP stack (kopf) needs at one instant; data, never temporary files."""

    server: str
    namespace: str
    authorization: str | None
    ca_pem: bytes | None
    ca_file: str | None
    insecure: bool
    certificate: tuple[bytes, bytes] | None
    certificate_files: tuple[str, str] | None
    expires: datetime | None


class Credentials:
    """One cluster's address, TLS settings and a refreshing `Authorization` header."""

    def __init__(self, *, server: str, namespace: str, material: tls.Material, auth: auth.Auth) -> None:
        self.server = server.rstrip("/")
        self.namespace = namespace
        self.material = material
        self.auth = auth
        self._lock = threading.Lock()
        self._context: tuple[object, ssl.SSLContext] | None = None

    @property
    def who(self) -> str:
        """The identity as configured (`kubeconfig user "x"`), for messages when the server says no."""
        return self.auth.who

    def headers(self) -> dict[str, str]:
        """The `Authorization` header to send now (none for anonymous); may run an exec plug-in."""
        value = self.auth.header()
        return {"Authorization": value} if value else {}

    async def async_headers(self) -> dict[str, str]:
        """`headers()` for an event loop: an exec plug-in that must run does so on a thread."""
        if self.auth.due():
            import asyncio

            return await asyncio.to_thread(self.headers)
        return self.headers()

    def invalidate(self, sent: Mapping[str, str]) -> None:
        """The server answered 401 to a request sent with `sent`: refresh before the next one."""
        self.auth.invalidate(sent.get("Authorization"))

    def renew(self) -> None:
        """Fetch the credential afresh on next use (kopf's re-login after a 401 or an expiry)."""
        self.auth.forget()

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context (None for plain http); rebuilt only when an exec plug-in hands out a new cert."""
        if self.server.startswith("http://"):
            return None
        issued = self.auth.client_certificate()
        with self._lock:
            if self._context is None or self._context[0] != issued:
                material = self.material
                if issued is not None:
                    material = tls.Material(
                        ca_pem=material.ca_pem,
                        ca_file=material.ca_file,
                        cert_pem=issued[0],
                        key_pem=issued[1],
                        insecure=material.insecure,
                    )
                self._context = (issued, tls.context(material))
            return self._context[1]

    def login(self) -> Login:
        """The current credentials as plain data, refreshed if due (blocks for an exec plug-in)."""
        material = self.material
        files = (material.cert_file, material.key_file)
        authorization = self.auth.header()  # first: an exec plug-in's certificate comes with it
        return Login(
            server=self.server,
            namespace=self.namespace,
            authorization=authorization,
            ca_pem=material.ca_pem,
            ca_file=material.ca_file,
            insecure=material.insecure,
            certificate=self.auth.client_certificate()
            or ((material.cert_pem, material.key_pem) if material.cert_pem and material.key_pem else None),
            certificate_files=(files[0], files[1]) if files[0] and files[1] else None,
            expires=self.auth.expires(),
        )


def load(
    kubeconfig_path: str | os.PathLike[str] | None = None,
    *,
    context: str | None = None,
    environ: Mapping[str, str] | None = None,
    service_account: Path = SERVICE_ACCOUNT,
) -> Credentials:
    """Credentials as kubectl (and, inside a pod, client-go's in-cluster config) would find them."""
    env = os.environ if environ is None else environ
    if not kubeconfig_path and not env.get("KUBECONFIG") and (service_account / "token").exists():
        return in_cluster(service_account, env)
    files = kubeconfig.paths(kubeconfig_path, env)
    merged = kubeconfig.read(files, required=bool(kubeconfig_path))
    if not merged.files:
        looked = ", ".join(map(str, files))
        raise AccessError(
            f"no kubeconfig at {looked} and no service account token: pass --kubeconfig or set KUBECONFIG"
        )
    return from_kubeconfig(kubeconfig.select(merged, context))


def in_cluster(root: Path, environ: Mapping[str, str]) -> Credentials:
    """The pod's service account: the token file (re-read as it rotates), its CA and namespace."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST"), environ.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise AccessError(
            f"{root}/token exists but KUBERNETES_SERVICE_HOST/PORT are unset: pass --kubeconfig"
        )
    with contextlib.suppress(ValueError):  # a name, not an address
        host = f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    try:
        namespace = (root / "namespace").read_text().strip() or "default"
    except OSError:
        namespace = "default"
    ca = root / "ca.crt"
    return Credentials(
        server=f"https://{host}:{port}",
        namespace=namespace,
        material=tls.Material(ca_file=str(ca) if ca.exists() else None),
        auth=auth.TokenFile(root / "token", who=f"the service account token in {root}"),
    )


def from_kubeconfig(selection: kubeconfig.Selection) -> Credentials:
    """Credentials of one kubeconfig context."""
    cluster, user = selection.cluster.body, selection.user.body
    material = tls.Material(
        ca_pem=tls.pem(cluster.get("certificate-authority-data"), "certificate-authority-data"),
        ca_file=_path(selection.cluster.base, cluster.get("certificate-authority")),
        cert_pem=tls.pem(user.get("client-certificate-data"), "client-certificate-data"),
        cert_file=_path(selection.user.base, user.get("client-certificate")),
        key_pem=tls.pem(user.get("client-key-data"), "client-key-data"),
        key_file=_path(selection.user.base, user.get("client-key")),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
    )
    who = f'kubeconfig user "{selection.user.name}" (context "{selection.context}")'
    server = str(cluster["server"])
    if "://" not in server:  # client-go's default: https when any TLS setting is given, else http
        tls_given = material.ca_pem or material.ca_file or material.cert_pem or material.cert_file
        server = ("https://" if tls_given or material.insecure else "http://") + server
    return Credentials(
        server=server,
        namespace=selection.namespace,
        material=material,
        auth=_user_auth(user, selection, who),
    )


def _user_auth(user: Mapping[str, Any], selection: kubeconfig.Selection, who: str) -> auth.Auth:
    base = selection.user.base
    if user.get("exec"):
        return auth.ExecPlugin(dict(user["exec"]), base=base, cluster=dict(selection.cluster.body), who=who)
    if user.get("tokenFile"):
        return auth.TokenFile(base / str(user["tokenFile"]), who=who)
    if user.get("token"):
        return auth.Static(f"Bearer {user['token']}", who)
    if user.get("username") and user.get("password"):
        return auth.Static.basic(str(user["username"]), str(user["password"]), who=who)
    if user.get("auth-provider"):
        name = (user["auth-provider"] or {}).get("name", "?")
        raise AccessError(
            f"{who} uses the auth-provider {name!r}, which Kubernetes removed in 1.26: "
            "switch the kubeconfig to the provider's exec plug-in (for example kubelogin or "
            "gke-gcloud-auth-plugin)"
        )
    return auth.Static(None, who)


def _path(base: Path, value: Any) -> str | None:
    return str(base / str(value)) if value else None
