"""HTTP/1.1 requests on pooled keep-alive connections, for the API calls the operator makes by the thousand.

aiohttp's client spends about 0.1 ms of CPU per request on machinery an API server never needs (request and
response objects, per-request timers, cookie, redirect and trace hooks): measured here as much again as the
rest of a create costs the operator, and the reason a 1,000-replica job took longer than a plain script.
This client writes a request as one buffer and parses the answer where it lands, in a protocol object that
is the connection. It speaks only what kube-apiserver answers: a status line, headers, a body sized by
Content-Length, by chunks or by the connection's end, gzip when asked for. Watches and log streams stay on
aiohttp (`client.ApiClient.watch`).

Failures are the exceptions aiohttp raises for the same event (`aiohttp.ClientOSError` subclasses, which
are `OSError`s too; `TimeoutError`), so every caller's handling is unchanged. A connection is reused only
after a complete answer that did not ask to close it; anything else (an error, a cancellation mid-answer)
closes it, so a late answer can never be read as the next request's.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import aiohttp

from training_operator.core.access.proxy import Proxy
from training_operator.core.kube import socks

#: bounds on what one answer may hold: a status line and headers, and a body (a list of 10,000 pods is ~30 MB)
MAX_HEAD_BYTES = 1 << 20
MAX_BODY_BYTES = 1 << 30
#: aiohttp's defaults, which the requests this client took over had
CONNECT_SECONDS = 30.0
REQUEST_SECONDS = 300.0
#: sent once more when a kept connection turns out closed (HEAD is not: its answer has no body to read)
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


class ConnectionLost(aiohttp.ClientOSError):
    """The connection ended before the answer was complete (aiohttp: ServerDisconnectedError)."""


class CannotConnect(aiohttp.ClientOSError):
    """No connection could be made: refused, unreachable, or TLS failed (aiohttp: ClientConnectorError)."""


class BadAnswer(aiohttp.ClientOSError):
    """The bytes that came back are not an HTTP/1.1 answer this client can read, or exceed a bound."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete answer: its status code, headers (names lower-cased, the last value of a repeated one) and
    body (decompressed)."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class _Reader:
    """Parses one answer from the bytes of a connection as they arrive, without re-reading what it has
    parsed: `feed` returns the answer once complete (and whether the connection may carry another)."""

    __slots__ = ("_body_size", "_buffer", "_chunked", "_chunks", "_headers", "_length", "_pos", "_status")

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._status = 0
        self._headers: dict[str, str] = {}
        self._length: int | None = None  # None: chunked or to the end
        self._chunked = False
        self._chunks: list[bytes] = []
        self._pos = 0  # where the unparsed part of `_buffer` starts
        self._body_size = 0

    def feed(self, data: bytes, *, eof: bool = False) -> tuple[Answer, bool] | None:
        self._buffer += data
        if not self._status and not self._head():
            if eof:
                raise ConnectionLost("the connection ended before an answer came")
            return None
        if self._chunked:
            done = self._chunk_body()
        elif self._length is not None:
            done = len(self._buffer) - self._pos >= self._length
            if done:
                self._chunks.append(bytes(self._buffer[self._pos : self._pos + self._length]))
                self._pos += self._length
        else:  # no length and not chunked: the body is everything until the server closes
            if len(self._buffer) - self._pos > MAX_BODY_BYTES:
                raise BadAnswer(f"an answer body over {MAX_BODY_BYTES} bytes")
            done = eof
            if done:
                self._chunks.append(bytes(self._buffer[self._pos :]))
        if not done:
            if eof:
                raise ConnectionLost("the connection ended in the middle of an answer")
            return None
        body = b"".join(self._chunks)
        encoding = self._headers.get("content-encoding", "identity").lower()
        if encoding == "gzip":
            body = _gunzip(body)
        elif encoding != "identity":
            raise BadAnswer(f"an answer encoded as {encoding!r}, which was not asked for")
        reusable = (self._length is not None or self._chunked) and "close" not in self._headers.get(
            "connection", ""
        ).lower()
        return Answer(self._status, self._headers, body), reusable and self._pos == len(self._buffer)

    def _head(self) -> bool:
        """Parse the status line and headers once they are all here; 1xx interim answers are skipped."""
        while True:
            end = self._buffer.find(b"\r\n\r\n", self._pos)
            if end < 0:
                if len(self._buffer) - self._pos > MAX_HEAD_BYTES:
                    raise BadAnswer(f"answer headers over {MAX_HEAD_BYTES} bytes")
                return False
            if end - self._pos > MAX_HEAD_BYTES:
                raise BadAnswer(f"answer headers over {MAX_HEAD_BYTES} bytes")
            lines = bytes(self._buffer[self._pos : end]).decode("latin-1").split("\r\n")
            self._pos = end + 4
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise BadAnswer(f"not an HTTP/1.1 status line: {lines[0][:80]!r}")
            status = int(code)
            if 100 <= status < 200:
                continue
            headers: dict[str, str] = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    raise BadAnswer(f"a malformed header line: {line[:80]!r}")
                headers[name.strip().lower()] = value.strip()
            self._status, self._headers = status, headers
            self._framing()
            return True

    def _framing(self) -> None:
        """How the body ends: after Content-Length bytes, after the last chunk, or with the connection."""
        headers = self._headers
        if self._status in (204, 304):
            self._length = 0
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._chunked = True
        elif "content-length" in headers:
            length = headers["content-length"]
            if not length.isdigit():
                raise BadAnswer(f"a Content-Length that is not a number: {length[:40]!r}")
            self._length = int(length)
            if self._length > MAX_BODY_BYTES:
                raise BadAnswer(f"an answer body of {self._length} bytes, over {MAX_BODY_BYTES}")

    def _chunk_body(self) -> bool:
        """Consume every complete chunk; True once the last (empty) chunk and the trailers are read."""
        buffer = self._buffer
        while True:
            line_end = buffer.find(b"\r\n", self._pos)
            if line_end < 0:
                if len(buffer) - self._pos > 1024:
                    raise BadAnswer("a chunk size line over 1 KiB")
                return False
            size_text = bytes(buffer[self._pos : line_end]).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise BadAnswer(f"a malformed chunk size: {size_text[:40]!r}") from None
            if size == 0:
                if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                    self._pos = line_end + 4
                    return True
                trailers_end = buffer.find(b"\r\n\r\n", line_end + 2)
                if trailers_end < 0:
                    return False
                self._pos = trailers_end + 4
                return True
            if len(buffer) < line_end + 2 + size + 2:
                return False
            self._body_size += size
            if self._body_size > MAX_BODY_BYTES:
                raise BadAnswer(f"an answer body over {MAX_BODY_BYTES} bytes")
            self._chunks.append(bytes(buffer[line_end + 2 : line_end + 2 + size]))
            self._pos = line_end + 2 + size + 2
            if self._pos > 1 << 16:  # drop what is parsed, so a long answer is not kept twice
                del buffer[: self._pos]
                self._pos = 0


def _gunzip(data: bytes) -> bytes:
    """A gzip body, bounded like any other (a small compressed answer can stand for a huge one)."""
    inflater = zlib.decompressobj(wbits=31)
    body = inflater.decompress(data, MAX_BODY_BYTES)
    if inflater.unconsumed_tail:
        raise BadAnswer(f"an answer body over {MAX_BODY_BYTES} bytes once decompressed")
    if not inflater.eof:
        raise BadAnswer("a gzip body that ends early")
    return body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request on it at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._reader: _Reader | None = None
        self._waiter: asyncio.Future[tuple[Answer, bool]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, though they offer the same methods
        self.transport = cast(asyncio.Transport, transport)

    def send(self, data: bytes) -> asyncio.Future[tuple[Answer, bool]]:
        assert self.transport is not None
        assert self._waiter is None
        self._reader = _Reader()
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._waiter

    def data_received(self, data: bytes) -> None:
        self._feed(data, eof=False)

    def eof_received(self) -> bool:
        self._feed(b"", eof=True)
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            lost = ConnectionLost("the connection was lost before the answer was complete")
            lost.__cause__ = exc
            self._waiter.set_exception(lost)
        self._waiter = None

    def _feed(self, data: bytes, *, eof: bool) -> None:
        waiter, reader = self._waiter, self._reader
        if waiter is None or reader is None or waiter.done():
            if data:  # bytes nobody asked for: the connection cannot be trusted with another request
                self.close()
            return
        try:
            result = reader.feed(data, eof=eof)
        except (ConnectionLost, BadAnswer, zlib.error) as error:
            waiter.set_exception(error if isinstance(error, aiohttp.ClientError) else BadAnswer(str(error)))
            self.close()
            return
        if result is not None:
            self._waiter = self._reader = None
            waiter.set_result(result)

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class _TunnelOpening(asyncio.Protocol):
    """The proxy's answer to CONNECT: its status line once the head is complete (nothing follows it before
    our TLS handshake starts)."""

    def __init__(self) -> None:
        self.answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._head = b""

    def data_received(self, data: bytes) -> None:
        self._head += data
        if b"\r\n\r\n" in self._head and not self.answer.done():
            self.answer.set_result(self._head.split(b"\r\n", 1)[0].decode("latin-1"))
        elif len(self._head) > MAX_HEAD_BYTES and not self.answer.done():
            self.answer.set_exception(BadAnswer("the proxy's answer to CONNECT has no end"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_exception(
                ConnectionLost("the proxy closed the connection before answering CONNECT")
            )


class Http1Pool:
    """Keep-alive connections to one API server, reused last-in first-out; an idle connection is dropped
    after `keepalive` seconds, and when the TLS context changes (an exec plug-in renewed the certificate)."""

    def __init__(
        self,
        server: str,
        *,
        keepalive: float,
        connect_timeout: float = CONNECT_SECONDS,
        request_timeout: float = REQUEST_SECONDS,
        server_name: str | None = None,
        proxy: Proxy | None = None,
    ) -> None:
        parts = urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) server address: {server!r}")
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.tls = parts.scheme == "https"
        #: the name the certificate is checked against and sent as SNI (kubeconfig tls-server-name)
        self.server_name = server_name or self.host
        #: an http proxy: a CONNECT tunnel for https, absolute-form requests for plain http; a SOCKS5 one
        self.proxy = proxy
        #: the path the server's address carries (a proxy's prefix), put before every request's path
        self.prefix = parts.path.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.tls else 80
        self._host_header = host if self.port == default else f"{host}:{self.port}"
        self._authority = f"{host}:{self.port}"  # what a CONNECT names: the port always
        # through an http proxy, plain http requests name the whole URL (absolute form) and authenticate
        http_proxy = proxy is not None and not proxy.socks
        self._absolute = f"http://{self._host_header}" if http_proxy and not self.tls else ""
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._idle: list[_Connection] = []
        self._context: ssl.SSLContext | None = None
        self.opened = 0  # connections opened so far (tests, and a hint when reading profiles)

    async def request(
        self,
        method: str,
        target: str,
        *,
        headers: Mapping[str, str],
        extra: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        context: ssl.SSLContext | None = None,
    ) -> Answer:
        """Send one request (`target`: path and query, already encoded) and return its complete answer."""
        head = self._head(method, target, [*headers.items(), *extra], body)
        data = head + body if body else head
        async with asyncio.timeout(self.request_timeout):
            connection, reused = await self._checkout(context)
            try:
                answer, reusable = await connection.send(data)
            except ConnectionLost:
                connection.close()
                if not (reused and method in _IDEMPOTENT):
                    raise
                # the server closed a pooled connection as the request went out: once more on a new one
                connection, _ = await self._checkout(context, fresh=True)
                try:
                    answer, reusable = await connection.send(data)
                except BaseException:
                    connection.close()
                    raise
            except BaseException:  # cancelled or timed out mid-answer: the connection's bytes are unknown
                connection.close()
                raise
        if reusable and not connection.closed:
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        return answer

    def close(self) -> None:
        """Close every idle connection (requests in flight close theirs when they end)."""
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    def _head(
        self, method: str, target: str, headers: Sequence[tuple[str, str]], body: bytes | None
    ) -> bytes:
        lines = [f"{method} {self._absolute}{self.prefix}{target} HTTP/1.1", f"Host: {self._host_header}"]
        if self._absolute and self.proxy is not None and self.proxy.authorization:
            lines.append(f"Proxy-Authorization: {self.proxy.authorization}")
        for name, value in headers:
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
                raise ValueError(f"header {name!r} holds a line break")
            lines.append(f"{name}: {value}")
        if body is not None:
            lines.append(f"Content-Length: {len(body)}")
        if any(c in target for c in " \r\n"):
            raise ValueError(f"request target {target[:80]!r} is not encoded")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def _checkout(
        self, context: ssl.SSLContext | None, *, fresh: bool = False
    ) -> tuple[_Connection, bool]:
        if context is not self._context:
            self.close()  # connections made with the old certificate go
            self._context = context
        now = time.monotonic()
        while self._idle and not fresh:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < self.keepalive:
                return connection, True
            connection.close()
        loop = asyncio.get_running_loop()
        tls: ssl.SSLContext | bool | None = (context or True) if self.tls else None
        async with asyncio.timeout(self.connect_timeout):
            try:
                if self.proxy is not None:
                    connection = await self._through_proxy(loop, self.proxy, tls, context)
                else:
                    _, connection = await loop.create_connection(
                        _Connection,
                        self.host,
                        self.port,
                        ssl=tls,
                        server_hostname=self.server_name if tls else None,
                    )
            except OSError as error:  # refused, unreachable, a certificate not trusted (ssl.SSLError)
                if isinstance(error, CannotConnect):
                    raise
                raise CannotConnect(error.errno, f"cannot connect to {self._host_header}: {error}") from error
        self.opened += 1
        return connection, False

    async def _through_proxy(
        self,
        loop: asyncio.AbstractEventLoop,
        proxy: Proxy,
        tls: ssl.SSLContext | bool | None,
        context: ssl.SSLContext | None,
    ) -> _Connection:
        """A connection to the proxy; for an https server, a CONNECT tunnel with the server's TLS inside it
        (plain http requests go to the proxy in absolute form, see `_head`). A SOCKS5 proxy tunnels either.
        An https proxy is reached over TLS checked with the server's `context`, as Go's transport checks it
        (the cluster's certificate authority, else the system's), for the proxy's own name."""
        if proxy.socks:
            sock = await socks.connect(proxy, self.host, self.port)
            _, connection = await loop.create_connection(
                _Connection, sock=sock, ssl=tls, server_hostname=self.server_name if tls else None
            )
            return connection
        to_proxy = (context or _default_context()) if proxy.tls else None
        name = proxy.host if to_proxy else None
        try:
            transport, opening = await loop.create_connection(
                _TunnelOpening, proxy.host, proxy.port, ssl=to_proxy, server_hostname=name
            )
        except ssl.SSLError as error:  # its certificate not trusted, or no TLS there
            raise CannotConnect(None, f"TLS to the proxy {proxy.address} failed: {error}") from error
        connection = _Connection()
        if not tls:
            transport.set_protocol(connection)
            connection.connection_made(transport)
            return connection
        lines = [f"CONNECT {self._authority} HTTP/1.1", f"Host: {self._authority}"]
        if proxy.authorization:
            lines.append(f"Proxy-Authorization: {proxy.authorization}")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            status_line = await opening.answer
        except BaseException:
            transport.abort()
            raise
        if status_line.split(" ")[1:2] != ["200"]:
            transport.abort()
            raise CannotConnect(
                None, f"the proxy {proxy.address} refused a tunnel to {self._authority}: {status_line}"
            )
        inner = tls if isinstance(tls, ssl.SSLContext) else _default_context()
        try:
            secured = await loop.start_tls(transport, connection, inner, server_hostname=self.server_name)
        except BaseException:
            transport.abort()
            raise
        if secured is None:
            raise CannotConnect(None, f"TLS to {self._authority} through {proxy.address} did not start")
        connection.connection_made(secured)
        return connection


@functools.cache
def _default_context() -> ssl.SSLContext:
    """The system's trust, for TLS that no kubeconfig certificate authority covers (built once: loading the
    system's certificates is slow)."""
    return ssl.create_default_context()
