"""The lean HTTP/1.1 client the API client sends its requests with reads every answer shape an API server (or
a proxy in front of it) sends, reuses a connection only when that is safe, and fails the way aiohttp did.

Covers: bodies sized by Content-Length, by chunks (with extensions and trailers) and by the connection's end,
gzip, a 1xx interim answer, 204; split at any byte (property test); keep-alive reuse, `Connection: close`, a
server closing an idle connection, a pooled connection dying as a request goes out (an idempotent request is
sent once more, a create is not), an answer cut short, a request cancelled or timed out mid-answer (its
connection is never reused), bytes nobody asked for; bounds on headers and bodies; line breaks in a header
refused before anything is sent; a server address with a path prefix and a port; every failure an `OSError`
and an `aiohttp.ClientError`. Each case runs on asyncio's loop and on uvloop (the operator's).
"""

import asyncio
import gzip
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from training_operator.core.kube import http1
from training_operator.core.kube.http1 import BadAnswer, ConnectionLost, Http1Pool

try:
    import uvloop
except ImportError:  # the core package alone does not need it
    uvloop = None

LOOPS = [pytest.param(asyncio.run, id="asyncio")]
if uvloop is not None:
    LOOPS.append(pytest.param(uvloop.run, id="uvloop"))

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One request's head and body, as the server side of a test reads it."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return head + (await reader.readexactly(length) if length else b"")


async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> None:
    """Read one request, send `data` as its answer."""
    await read_request(reader)
    writer.write(data)
    await writer.drain()


def answer(body: bytes = b'{"ok":true}', *, status: str = "200 OK", extra: str = "") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


class Server:
    """A scripted server: `script(reader, writer, connection_number)` serves each connection; it records the
    requests it read and how many connections it accepted."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> "Server":
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.script(reader, writer, self.connections)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        self.server = await asyncio.start_server(serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def reply_each(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, replies: list[bytes]
    ) -> None:
        for reply in replies:
            self.requests.append(await read_request(reader))
            writer.write(reply)
            await writer.drain()
        await reader.read()  # until the client closes


def serving(*replies: bytes) -> Callable[[Server], Script]:
    """Every connection answers `replies` in turn, one per request."""

    def make(server: Server) -> Script:
        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
            await server.reply_each(reader, writer, list(replies))

        return script

    return make


def with_server(
    make: Callable[[Server], Script], work: Callable[[Server], Awaitable[Any]]
) -> Callable[[], Any]:
    async def main() -> Any:
        server = Server(lambda r, w, n: asyncio.sleep(0))
        server.script = make(server)
        async with server:
            return await work(server)

    return main


GET = {"Accept": "application/json"}


@pytest.mark.parametrize("run", LOOPS)
@pytest.mark.parametrize(
    ("reply", "status", "body"),
    [
        pytest.param(answer(b'{"a":1}'), 200, b'{"a":1}', id="content-length"),
        pytest.param(
            b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n',
            200,
            b'{"a":1}',
            id="chunked",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: 1\r\n\r\n",
            200,
            b"{}",
            id="chunked-with-trailers",
        ),
        pytest.param(
            answer(gzip.compress(b'{"items":[]}'), extra="Content-Encoding: gzip\r\n"),
            200,
            b'{"items":[]}',
            id="gzip",
        ),
        pytest.param(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b"{}"), 200, b"{}", id="interim-100"),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", id="no-content"),
    ],
)
def test_an_answer_is_read_whole_and_its_connection_reused(run, reply, status, body):
    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        for _ in range(2):
            got = await pool.request("GET", "/api/v1/pods", headers=GET)
            assert (got.status, got.body) == (status, body)
        assert server.connections == 1
        pool.close()

    run(with_server(serving(reply, reply), work)())


@pytest.mark.parametrize("run", LOOPS)
def test_a_body_that_ends_with_the_connection_is_read_and_the_connection_not_reused(run):
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await respond(reader, writer, b'HTTP/1.1 200 OK\r\n\r\n{"until":')
        writer.write(b'"closed"}')
        writer.close()

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        for _ in range(2):
            assert (await pool.request("GET", "/x", headers=GET)).body == b'{"until":"closed"}'
        assert server.connections == 2

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
def test_connection_close_means_a_new_connection_for_the_next_request(run):
    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request("GET", "/x", headers=GET)
        await pool.request("GET", "/x", headers=GET)
        assert server.connections == 2

    run(with_server(serving(answer(extra="Connection: close\r\n")), work)())


@pytest.mark.parametrize("run", LOOPS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_idle_connection_the_server_closed_is_not_used_again(run, method):
    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        lost = asyncio.Event()
        original = http1._Connection.connection_lost

        def noticed(connection: http1._Connection, exc: Exception | None) -> None:
            original(connection, exc)
            lost.set()

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(http1._Connection, "connection_lost", noticed)
            await pool.request(method, "/x", headers=GET, body=b"{}")
            await asyncio.wait_for(lost.wait(), 10)  # the server closes after its one answer
        assert pool._idle[0].closed
        assert (await pool.request(method, "/x", headers=GET, body=b"{}")).status == 200
        assert server.connections == 2

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, _: int) -> None:
        await respond(reader, writer, answer())

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
@pytest.mark.parametrize(
    ("method", "sent_again"), [("GET", True), ("DELETE", True), ("POST", False), ("PATCH", False)]
)
def test_a_pooled_connection_lost_as_the_request_goes_out(run, method, sent_again):
    """The server reads the second request on the kept connection and closes without answering (it timed the
    connection out at that instant): an idempotent request is sent once more on a new connection, a create
    or patch is not (it may have been applied), and fails as aiohttp failed."""

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        if number == 1:
            await respond(reader, writer, answer())
            await read_request(reader)
            return  # closed without an answer
        await respond(reader, writer, answer(b'{"second":true}'))
        await reader.read()

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request(method, "/x", headers=GET, body=b"{}")
        if sent_again:
            assert (await pool.request(method, "/x", headers=GET, body=b"{}")).body == b'{"second":true}'
        else:
            with pytest.raises(ConnectionLost) as lost:
                await pool.request(method, "/x", headers=GET, body=b"{}")
            assert isinstance(lost.value, OSError)
            assert isinstance(lost.value, aiohttp.ClientError)
        assert server.connections == (2 if sent_again else 1)

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
def test_an_answer_cut_short_fails_and_the_next_request_gets_its_own_answer(run):
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await read_request(reader)
        if number == 1:
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial')
            await writer.drain()
            return
        writer.write(answer(b'{"whole":true}'))
        await writer.drain()
        await reader.read()

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        with pytest.raises(ConnectionLost):
            await pool.request("GET", "/x", headers=GET)
        assert (await pool.request("GET", "/x", headers=GET)).body == b'{"whole":true}'

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
@pytest.mark.parametrize("how", ["cancelled", "timed-out"])
def test_a_request_abandoned_mid_answer_never_lends_its_connection(run, how):
    """The first answer's rest arrives after the request was given up: were the connection pooled, the next
    request would read it as its own answer."""
    state: dict[str, asyncio.Event] = {}

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await read_request(reader)
        if number == 1:
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{"first"')
            await writer.drain()
            state["arrived"].set()
            await state["release"].wait()
            writer.write(b":true}")
            await writer.drain()
            await reader.read()
            state["closed"].set()  # by the client: the abandoned connection is not left open
            return
        writer.write(answer(b'{"second":true}'))
        await writer.drain()
        await reader.read()

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60, request_timeout=0.2 if how == "timed-out" else 60)
        state.update(arrived=asyncio.Event(), release=asyncio.Event(), closed=asyncio.Event())
        first = asyncio.create_task(pool.request("GET", "/x", headers=GET))
        await asyncio.wait_for(state["arrived"].wait(), 10)
        if how == "cancelled":
            first.cancel()
            with pytest.raises(asyncio.CancelledError):
                await first
        else:
            with pytest.raises(TimeoutError):
                await first
        state["release"].set()
        pool.request_timeout = 60
        assert (await pool.request("GET", "/x", headers=GET)).body == b'{"second":true}'
        assert server.connections == 2
        await asyncio.wait_for(state["closed"].wait(), 10)

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
def test_bytes_nobody_asked_for_retire_an_idle_connection(run):
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await read_request(reader)
        # connection 1 sends a second answer to one request, in the same write
        writer.write(answer() + (answer(b'{"stray":true}') if number == 1 else b""))
        await writer.drain()
        if number == 2:
            await respond(reader, writer, answer(b'{"own":true}'))
        await reader.read()

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request("GET", "/x", headers=GET)
        await pool.request("GET", "/x", headers=GET)
        assert server.connections == 2
        assert (await pool.request("GET", "/x", headers=GET)).body == b'{"own":true}'

    run(with_server(lambda _: script, work)())


@pytest.mark.parametrize("run", LOOPS)
@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 300 + b"\r\n\r\n", id="headers-over-bound"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n", id="declared-body-over-bound"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"100\r\n" + b"a" * 256 + b"\r\n" * 3,
            id="chunks-over-bound",
        ),
        pytest.param(b"SSH-2.0-OpenSSH\r\n\r\n", id="not-http"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", id="bad-length"),
        pytest.param(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", id="bad-chunk-size"),
        pytest.param(answer(b"abc", extra="Content-Encoding: br\r\n"), id="encoding-not-asked-for"),
        pytest.param(answer(b"not gzip", extra="Content-Encoding: gzip\r\n"), id="broken-gzip"),
        pytest.param(
            answer(gzip.compress(b"{}")[:-9], extra="Content-Encoding: gzip\r\n"), id="gzip-cut-short"
        ),
        pytest.param(
            answer(gzip.compress(b" " * 5000), extra="Content-Encoding: gzip\r\n"),
            id="gzip-over-bound-inflated",
        ),
    ],
)
def test_an_answer_out_of_bounds_or_not_http_is_refused(run, reply, monkeypatch):
    monkeypatch.setattr(http1, "MAX_HEAD_BYTES", 256)
    monkeypatch.setattr(http1, "MAX_BODY_BYTES", 200)

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        with pytest.raises(BadAnswer) as refused:
            await pool.request("GET", "/x", headers=GET)
        assert isinstance(refused.value, OSError)
        assert not pool._idle

    run(with_server(serving(reply), work)())


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent():
    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        with pytest.raises(ValueError, match="Authorization"):
            await pool.request("GET", "/x", headers={"Authorization": "Bearer a\r\nX-Evil: 1"})
        with pytest.raises(ValueError, match="not encoded"):
            await pool.request("GET", "/x y", headers=GET)
        assert server.connections == 0

    asyncio.run(with_server(serving(answer()), work)())


def test_the_request_carries_the_servers_path_prefix_host_and_length():
    async def work(server: Server) -> None:
        port = server.url.rsplit(":", 1)[1]
        pool = Http1Pool(server.url + "/k8s/clusters/c-1/", keepalive=60)
        await pool.request("POST", "/api/v1/namespaces/ns/pods?dryRun=All", headers=GET, body=b'{"a":1}')
        request = server.requests[0]
        assert request.startswith(b"POST /k8s/clusters/c-1/api/v1/namespaces/ns/pods?dryRun=All HTTP/1.1\r\n")
        assert f"Host: 127.0.0.1:{port}\r\n".encode() in request
        assert b"Content-Length: 7\r\n" in request
        assert request.endswith(b'\r\n\r\n{"a":1}')

    asyncio.run(with_server(serving(answer()), work)())


@pytest.mark.parametrize("run", LOOPS)
def test_bytes_arriving_on_an_idle_connection_close_it(run):
    state: dict[str, asyncio.Event] = {}

    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, number: int) -> None:
        await respond(reader, writer, answer())
        if number == 1:
            await state["pooled"].wait()
            writer.write(answer(b'{"stray":true}'))
            await writer.drain()
            await reader.read()
            state["closed"].set()
            return
        await reader.read()

    async def work(server: Server) -> None:
        state.update(pooled=asyncio.Event(), closed=asyncio.Event())
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request("GET", "/x", headers=GET)
        state["pooled"].set()
        await asyncio.wait_for(state["closed"].wait(), 10)
        assert pool._idle[0].closed

    run(with_server(lambda _: script, work)())


def test_a_new_tls_context_retires_the_connections_made_with_the_old_one():
    """An exec plug-in renewed the client certificate: idle connections still present the old one."""

    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request("GET", "/x", headers=GET, context=None)
        await pool.request("GET", "/x", headers=GET, context=ssl.create_default_context())
        assert server.connections == 2

    asyncio.run(with_server(serving(answer(), answer()), work)())


def test_a_connection_idle_past_the_keepalive_is_not_reused():
    async def work(server: Server) -> None:
        pool = Http1Pool(server.url, keepalive=60)
        await pool.request("GET", "/x", headers=GET)
        pool._idle[0].idle_since -= 61  # as if a minute had passed
        await pool.request("GET", "/x", headers=GET)
        assert server.connections == 2

    asyncio.run(with_server(serving(answer(), answer()), work)())


def test_a_refused_connection_is_an_oserror_and_an_aiohttp_error():
    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()
        with pytest.raises(http1.CannotConnect) as refused:
            await Http1Pool(f"http://127.0.0.1:{port}", keepalive=60).request("GET", "/x", headers=GET)
        assert isinstance(refused.value, ConnectionError | OSError)
        assert isinstance(refused.value, aiohttp.ClientError)

    asyncio.run(main())


CHUNKED = (
    b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n"
)
SIZED = answer(b"hello, world", status="201 Created")


@settings(max_examples=200, deadline=None)
@given(reply=st.sampled_from([CHUNKED, SIZED]), cuts=st.lists(st.integers(0, len(CHUNKED)), max_size=12))
def test_an_answer_split_anywhere_reads_the_same(reply, cuts):
    reader = http1._Reader()
    points = sorted({c for c in cuts if c < len(reply)})
    pieces = [reply[a:b] for a, b in zip([0, *points], [*points, len(reply)], strict=True)]
    results = [reader.feed(piece) for piece in pieces]
    assert all(r is None for r in results[:-1])
    answer_, reusable = results[-1]
    assert (answer_.status, answer_.body, reusable) == (201, b"hello, world", True)
