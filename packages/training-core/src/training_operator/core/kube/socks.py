"""SOCKS5 proxies (kubeconfig `proxy-url: socks5://…`, or `HTTPS_PROXY`), for every client we run.

A SOCKS5 proxy is how a laptop usually reaches a private cluster (`ssh -D 1080 bastion`), and kubectl goes
through one. The handshakes come from python-socks (aiohttp-socks for aiohttp sessions, PySocks for urllib3):
well-kept libraries that speak both authentication methods and IPv6, where a hand-written handshake would
be a second copy to maintain. They are the `socks` extra, so an install that never meets such a proxy does
not carry them; without them the error names the extra. The server's name goes to the proxy unresolved,
as Go's SOCKS5 dialer sends it: the bastion, not this machine, knows the cluster's private names.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from training_operator.core.errors import AccessError

if TYPE_CHECKING:
    import aiohttp

    from training_operator.core.access.proxy import Proxy

#: what to install for SOCKS5 proxies
EXTRA = "pip install 'training-operator[socks]' (or training-operator-core[socks])"


def require(proxy: Proxy) -> None:
    """Raise a one-line error naming the extra when the SOCKS5 packages are not installed."""
    try:
        import aiohttp_socks  # noqa: F401
        import python_socks  # noqa: F401
        import socks  # type: ignore[import-untyped]  # noqa: F401  (PySocks, for urllib3's SOCKS support)
    except ImportError as missing:
        raise _missing(proxy, missing) from None


def _missing(proxy: Proxy, error: ImportError) -> AccessError:
    return AccessError(
        f"the proxy {proxy.address} is a SOCKS5 proxy, which needs the {error.name} package: {EXTRA}"
    )


def connector(proxy: Proxy, **options: Any) -> aiohttp.BaseConnector:
    """An aiohttp connector whose connections go through the SOCKS5 proxy (`options`: TCPConnector's).

    The proxy's refusal (a failed authentication, a target it will not reach) comes out as aiohttp's
    connection error naming the proxy, as every other failure to connect does, not as python-socks' own."""
    require(proxy)  # the whole extra, so that every client refuses alike
    import aiohttp

    try:
        from aiohttp_socks import ProxyConnector, ProxyError
    except ImportError as missing:
        raise _missing(proxy, missing) from None

    class NamedRefusals(ProxyConnector):
        async def _wrap_create_connection(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return await super()._wrap_create_connection(*args, **kwargs)
            except ProxyError as refused:
                reason = f"the proxy {proxy.address} refused a tunnel: {refused}"
                raise aiohttp.ClientConnectionError(reason) from None

    return NamedRefusals.from_url(proxy.url, rdns=True, **options)


async def connect(proxy: Proxy, host: str, port: int) -> socket.socket:
    """A connected socket to `host:port` through the SOCKS5 proxy (the caller bounds the time). A refusal
    (the proxy's reply, failed authentication) is a ConnectionError naming the proxy, as any connection
    that could not be made is an OSError."""
    require(proxy)
    try:
        from python_socks import ProxyError
        from python_socks.async_.asyncio import Proxy as SocksProxy
    except ImportError as missing:
        raise _missing(proxy, missing) from None

    tunnel = SocksProxy.from_url(proxy.url, rdns=True)
    try:
        sock: socket.socket = await tunnel.connect(dest_host=host, dest_port=port)
    except ProxyError as refused:
        reason = f"the proxy {proxy.address} refused a tunnel to {host}:{port}: {refused}"
        raise ConnectionError(reason) from None
    return sock
