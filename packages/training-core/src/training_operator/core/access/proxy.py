"""Which proxy requests to the API server go through, decided as client-go decides it.

A kubeconfig cluster's `proxy-url` wins; without one, `HTTPS_PROXY` (for an https server, `HTTP_PROXY` for
plain http; the upper-case name first, then the lower-case one) unless `NO_PROXY` names the server. As in
Go's `httpproxy`, a loopback server is never proxied, and `NO_PROXY` lists host names (matching the name and
every subdomain; a leading dot: subdomains only), IP addresses, CIDR ranges, each optionally with a port, or
`*` for everything.

`http://` proxies carry the API server's own TLS inside a CONNECT tunnel (plain http in absolute form);
`https://` ones the same, over TLS to the proxy, whose certificate is checked as Go's transport checks it:
against the cluster's certificate authority (the system's when the kubeconfig names none), for the proxy's
own host name. `socks5://` and `socks5h://` ones (an `ssh -D` to a bastion, the common way to a private
cluster) carry it inside a SOCKS5 connection, the server's name resolved by the proxy for both, as Go's SOCKS5
dialer does; they need the `socks` extra (its packages are named in the error when it is missing).
`socks4://` proxies, which Go's transport does not take either, are refused by name rather than bypassed.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from training_operator.core.errors import AccessError


@dataclass(frozen=True, slots=True)
class Proxy:
    """A proxy: its kind, where it listens and, when its URL carries a user, the credentials (as the
    `Proxy-Authorization` value an http proxy is sent; a SOCKS5 proxy gets them in its own handshake)."""

    host: str
    port: int
    #: "Basic …" from the URL's user and password, else None
    authorization: str | None = None
    #: "http", "https" or "socks5" (a `socks5h://` URL is the same: the proxy resolves the server's name
    #: either way)
    scheme: str = "http"

    @property
    def socks(self) -> bool:
        """Whether this is a SOCKS5 proxy (a byte tunnel) rather than an http one."""
        return self.scheme == "socks5"

    @property
    def tls(self) -> bool:
        """Whether the connection to the proxy itself is TLS (an `https://` proxy)."""
        return self.scheme == "https"

    @property
    def address(self) -> str:
        """`scheme://host:port`, without the credentials (they travel in `authorization`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def url(self) -> str:
        """`scheme://user:password@host:port` (the user percent-encoded), for clients that take it whole."""
        user = self.user
        if user is None:
            return self.address
        credentials = f"{quote(user[0], safe='')}:{quote(user[1], safe='')}@"
        return self.address.replace("://", "://" + credentials, 1)

    @property
    def user(self) -> tuple[str, str] | None:
        """(user, password) for clients that take them apart (aiohttp's BasicAuth, urllib3's header)."""
        if self.authorization is None:
            return None
        user, _, password = base64.b64decode(self.authorization.split(" ", 1)[1]).decode().partition(":")
        return user, password


def parse(url: str, *, where: str) -> Proxy:
    """A proxy URL as kubectl reads it (no scheme: http); `where` names its source in errors."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("socks4", "socks4a"):
        raise AccessError(
            f"{where} {url!r} is a {scheme} proxy, which training-operator does not support: use an "
            "http://, https:// or socks5:// proxy (`ssh -D 1080 <bastion>` gives one), or a local port "
            "forward (for example `ssh -L 6443:<api-server>:443 <bastion>`) with server "
            "https://127.0.0.1:6443 and tls-server-name set to the name in the server's certificate"
        )
    if scheme not in ("http", "https", "socks5", "socks5h") or not parts.hostname:
        raise AccessError(
            f"{where} {url!r} is not a proxy address: expected http://host:port, https://host:port or "
            "socks5://host:port"
        )
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise AccessError(f"{where} {url!r} has an invalid port") from None
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    return Proxy(
        host=parts.hostname,
        port=port,
        authorization=authorization,
        scheme="socks5" if scheme == "socks5h" else scheme,
    )


_DEFAULT_PORTS = {"http": 80, "https": 443, "socks5": 1080, "socks5h": 1080}


def from_environment(server: str, environ: Mapping[str, str]) -> Proxy | None:
    """The proxy the environment names for `server`, or None (none set, loopback, or `NO_PROXY`)."""
    parts = urlsplit(server)
    host = (parts.hostname or "").lower()
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if host == "localhost" or _is_loopback(host):
        return None
    names = ("HTTPS_PROXY", "https_proxy") if https else ("HTTP_PROXY", "http_proxy")
    name = next((n for n in names if environ.get(n)), None)
    if name is None:
        return None
    if bypassed(host, port, environ.get("NO_PROXY") or environ.get("no_proxy") or ""):
        return None
    return parse(environ[name], where=name)


def bypassed(host: str, port: int, no_proxy: str) -> bool:
    """Whether a `NO_PROXY` list names `host:port`."""
    for raw in no_proxy.split(","):
        entry, wanted_port = _split_port(raw.strip().lower())
        if entry == "*":
            return True
        if entry and (wanted_port is None or wanted_port == port) and _names(entry, host):
            return True
    return False


def _names(entry: str, host: str) -> bool:
    """Whether one `NO_PROXY` entry (its port taken off) covers `host`: a CIDR range, an address or a name."""
    address = _address(host)
    if "/" in entry:
        try:
            return address is not None and address in ipaddress.ip_network(entry, strict=False)
        except ValueError:
            return False
    if _address(entry) is not None:
        return address == _address(entry)
    if entry.startswith("."):
        return host.endswith(entry)
    return host == entry or host.endswith("." + entry)


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [v6]:port
        inside, _, rest = entry[1:].partition("]")
        return inside, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        return name, int(port) if port.isdigit() else None
    return entry, None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    address = _address(host)
    return address is not None and address.is_loopback
