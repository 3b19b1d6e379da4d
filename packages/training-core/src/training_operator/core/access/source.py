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
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from training_operator.core.access import auth, kubeconfig, tls
from training_operator.core.access import proxy as proxy_
from training_operator.core.errors import AccessError

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
#: characters of an HTTP token (a header name) besides letters and digits, left as they are in an
#: Impersonate-Extra- key; everything else is percent-encoded, as client-go does
_HEADER_NAME_SAFE = "!#$&'*+-.^_`|~"


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
    """One cluster's address, TLS settings and a refreshing `Authorization` header.

    `server_name`: the name the server's certificate is checked against and sent as SNI, when it is not the
    address's host (kubeconfig `tls-server-name`). `impersonation`: `Impersonate-*` headers to send with
    every request, in order, a header repeated once per value as client-go sends them (kubeconfig `as`,
    `as-uid`, `as-groups`, `as-user-extra`). `proxy`: the http proxy every connection is tunnelled through
    (kubeconfig `proxy-url`, else `HTTPS_PROXY` and `NO_PROXY`; see `access.proxy`).
    """

    def __init__(
        self,
        *,
        server: str,
        namespace: str,
        material: tls.Material,
        auth: auth.Auth,
        server_name: str | None = None,
        impersonation: tuple[tuple[str, str], ...] = (),
        proxy: proxy_.Proxy | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.namespace = namespace
        self.material = material
        self.auth = auth
        self.server_name = server_name
        self.impersonation = impersonation
        self.proxy = proxy
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
    return from_kubeconfig(kubeconfig.select(merged, context), env)


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
        proxy=proxy_.from_environment(f"https://{host}:{port}", environ),
    )


def from_kubeconfig(selection: kubeconfig.Selection, environ: Mapping[str, str] | None = None) -> Credentials:
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
    if material.insecure and (material.ca_pem or material.ca_file):
        raise AccessError(  # client-go's refusal: one of the two settings is a mistake, we cannot tell which
            f'kubeconfig cluster "{selection.cluster.name}" sets both insecure-skip-tls-verify and a '
            "certificate authority, which kubectl refuses too: remove insecure-skip-tls-verify to check the "
            "server's certificate, or the certificate authority to skip the check"
        )
    server_name = cluster.get("tls-server-name")
    if server_name is not None and (not isinstance(server_name, str) or not server_name.strip()):
        raise AccessError(
            f'kubeconfig cluster "{selection.cluster.name}": tls-server-name must be a host name, '
            f"not {server_name!r}"
        )
    server = str(cluster["server"])
    if "://" not in server:  # client-go's default: https when any TLS setting is given, else http
        tls_given = material.ca_pem or material.ca_file or material.cert_pem or material.cert_file
        server = ("https://" if tls_given or material.insecure else "http://") + server
    return Credentials(
        server=server,
        namespace=selection.namespace,
        material=material,
        auth=_user_auth(user, selection, who),
        server_name=server_name.strip() if server_name else None,
        impersonation=impersonation_headers(user, who),
        proxy=(
            proxy_.parse(
                str(cluster["proxy-url"]), where=f'kubeconfig cluster "{selection.cluster.name}" proxy-url'
            )
            if cluster.get("proxy-url")
            else proxy_.from_environment(server, os.environ if environ is None else environ)
        ),
    )


def impersonation_headers(user: Mapping[str, Any], who: str) -> tuple[tuple[str, str], ...]:
    """The `Impersonate-*` headers a kubeconfig user's `as`, `as-uid`, `as-groups` and `as-user-extra` ask
    for, as client-go builds them (an extra's key percent-encoded into the header name)."""
    name, uid = user.get("as"), user.get("as-uid")
    groups, extra = user.get("as-groups") or [], user.get("as-user-extra") or {}
    if not (name or uid or groups or extra):
        return ()
    if not isinstance(name, str) or not name:
        raise AccessError(
            f"{who} sets as-uid, as-groups or as-user-extra without as: impersonating groups, a uid or "
            "extra fields needs a user to impersonate (set as)"
        )
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise AccessError(f"{who}: as-groups must be a list of group names")
    if not isinstance(extra, Mapping) or not all(
        isinstance(values, list) and all(isinstance(v, str) for v in values) for values in extra.values()
    ):
        raise AccessError(f"{who}: as-user-extra must map each key to a list of strings")
    headers = [("Impersonate-User", name)]
    if uid:
        headers.append(("Impersonate-Uid", str(uid)))
    headers += [("Impersonate-Group", group) for group in groups]
    for key, values in extra.items():
        header = "Impersonate-Extra-" + urllib.parse.quote(str(key), safe=_HEADER_NAME_SAFE)
        headers += [(header, value) for value in values]
    for header, value in headers:
        if "\r" in value or "\n" in value:
            raise AccessError(f"{who}: {header} holds a line break")
    return tuple(headers)


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
