"""The lean HTTP/1.1 client through an http or https proxy, as client-go goes through one: an https server
behind a CONNECT tunnel (the proxy's refusal is an error naming the proxy and its status), a plain http server
by absolute-form requests; the proxy's credentials go as Proxy-Authorization either way. An https proxy is
spoken to over TLS checked with the server's context, and one whose certificate that context does not trust
is an error naming the proxy before anything (credentials included) is sent to it."""

import asyncio
import ssl
from pathlib import Path

import pytest

from training_operator.core.access.proxy import parse
from training_operator.core.kube.http1 import CannotConnect, Http1Pool
from training_operator.core.testing.certificates import serving_loopback

GET = {"Accept": "application/json"}


@pytest.fixture(params=["http", "https"])
def proxy_tls(request, tmp_path: Path) -> tuple[str, ssl.SSLContext | None, ssl.SSLContext | None]:
    """(scheme, the proxy's serving context, a client context trusting it)."""
    if request.param == "http":
        return "http", None, None
    serving, authority = serving_loopback(tmp_path, "proxy authority")
    return "https", serving, ssl.create_default_context(cadata=authority.decode())


async def proxy_answering(answer: bytes, heads: list[str], tls: ssl.SSLContext | None) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append((await reader.readuntil(b"\r\n\r\n")).decode("latin-1"))
        writer.write(answer)
        await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)


def through(server: asyncio.Server, address: str, scheme: str) -> Http1Pool:
    """A pool for `address` through the proxy `server` is, as user bob."""
    port = server.sockets[0].getsockname()[1]
    proxy = parse(f"{scheme}://bob:pw@127.0.0.1:{port}", where="proxy-url")
    return Http1Pool(address, keepalive=60, proxy=proxy)


async def test_a_refused_tunnel_is_an_error_naming_the_proxy_and_its_answer(proxy_tls):
    scheme, serving, trusting = proxy_tls
    heads: list[str] = []
    server = await proxy_answering(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", heads, serving)
    port = server.sockets[0].getsockname()[1]
    pool = through(server, "https://api.cluster.example:6443", scheme)
    try:
        with pytest.raises(CannotConnect) as refused:
            await pool.request("GET", "/api", headers=GET, context=trusting)
    finally:
        server.close()
    assert f"the proxy {scheme}://127.0.0.1:{port} refused a tunnel to api.cluster.example:6443" in str(
        refused.value
    )
    assert "407 Proxy Authentication Required" in str(refused.value)
    assert heads[0].startswith("CONNECT api.cluster.example:6443 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic Ym9iOnB3\r\n" in heads[0]


async def test_a_plain_http_server_is_asked_for_in_absolute_form(proxy_tls):
    scheme, serving, trusting = proxy_tls
    heads: list[str] = []
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    server = await proxy_answering(answer, heads, serving)
    pool = through(server, "http://api.cluster.example:8080/prefix", scheme)
    try:
        got = await pool.request("GET", "/api/v1/pods?limit=1", headers=GET, context=trusting)
    finally:
        server.close()
    assert got.status == 200
    assert heads[0].startswith("GET http://api.cluster.example:8080/prefix/api/v1/pods?limit=1 HTTP/1.1\r\n")
    assert "Host: api.cluster.example:8080\r\n" in heads[0]
    assert "Proxy-Authorization: Basic Ym9iOnB3\r\n" in heads[0]


async def test_an_https_proxy_the_context_does_not_trust_is_named_and_told_nothing(tmp_path):
    serving, _authority = serving_loopback(tmp_path, "proxy authority")
    heads: list[str] = []
    server = await proxy_answering(b"HTTP/1.1 200 Connection established\r\n\r\n", heads, serving)
    port = server.sockets[0].getsockname()[1]
    pool = through(server, "https://api.cluster.example:6443", "https")
    try:
        with pytest.raises(CannotConnect) as refused:
            await pool.request("GET", "/api", headers=GET, context=ssl.create_default_context())
    finally:
        server.close()
    assert f"TLS to the proxy https://127.0.0.1:{port} failed" in str(refused.value)
    assert "certificate verify failed" in str(refused.value)
    assert heads == []
