"""Watch streams: resume from a resourceVersion, selectors applied server-side, bookmarks, timeouts.

A watch subscribes to the storage's change feed before it replays anything, and both happen without an
await in between, so no change is lost or sent twice. The feed calls each watch as a change commits; its
lines go out once per event loop turn. Selector transitions are translated the way the
watch cache does: an object that starts matching is ADDED, one that stops matching is DELETED.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from aiohttp import web

from training_operator.local import errors, wire
from training_operator.local.storage import Change, Storage

log = logging.getLogger(__name__)
Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WatchRequest:
    """A parsed watch: where to start, what to send and for how long."""

    resource: str
    namespace: str | None
    matches: Callable[[Obj], bool]
    resource_version: str
    bookmarks: bool
    timeout: float
    render: Callable[[Obj], Obj]  # apiVersion rewrite, or a one-row Table
    bookmark_kind: tuple[str, str]  # (apiVersion, kind) for BOOKMARK objects


def translate(change: Change, request: WatchRequest) -> tuple[str, Obj] | None:
    """The event this watcher should see for a change, or None."""
    obj = change.object
    if request.namespace is not None and obj["metadata"].get("namespace", "") != request.namespace:
        return None
    now = request.matches(obj)
    if change.type == "ADDED":
        return ("ADDED", obj) if now else None
    before = change.old is not None and request.matches(change.old)
    if change.type == "DELETED":
        return ("DELETED", obj) if before else None
    if now and before:
        return "MODIFIED", obj
    if now:
        return "ADDED", obj
    return ("DELETED", obj) if before else None


def _line(event_type: str, obj: Obj) -> bytes:
    return wire.encode({"type": event_type, "object": obj}) + b"\n"


def _change_line(event_type: str, obj: Obj, change: Change, request: WatchRequest) -> bytes:
    """The event line; a watcher that sees the stored object as it is reuses the bytes the storage encoded
    once for every watcher (and the writer's answer)."""
    rendered = request.render(obj)
    if rendered is change.object and change.body:
        return b'{"type":"' + event_type.encode() + b'","object":' + change.body + b"}\n"
    return _line(event_type, rendered)


#: a watcher this far behind (bytes its connection has not taken) is cut, as the watch cache closes an
#: unresponsive watcher; it resumes from the last resourceVersion it read
MAX_UNSENT_BYTES = 16 * 1024 * 1024


class _Stream:
    """One open watch, fed synchronously by the storage as each change commits. Its event lines collect until
    the end of the event loop's turn and go out as one chunk: a burst of writes costs each watcher one TLS
    record and one send, not a task wake-up, a timer and a write per event."""

    def __init__(self, request: WatchRequest) -> None:
        self.request = request
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self.loop.create_future()
        self.transport: asyncio.BaseTransport | None = None
        self.last_write = self.loop.time()
        self._pending: list[bytes] = []
        self._flush_scheduled = False

    def offer(self, change: Change) -> None:
        """A committed change of the watched resource (called inside the write that made it)."""
        if self.done.done():
            return
        event = translate(change, self.request)
        if event is None:
            return
        self._pending.append(_change_line(*event, change, self.request))
        if self.transport is not None and not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self.flush)

    def go_live(self, transport: asyncio.BaseTransport) -> None:
        """The head and the replayed events are out: what came meanwhile follows, then every change as it
        commits."""
        self.transport = transport
        self.flush()

    def flush(self) -> None:
        self._flush_scheduled = False
        if self._pending and not self.done.done():
            data = b"".join(self._pending)
            self._pending.clear()
            self.write(data)

    def write(self, data: bytes) -> None:
        """One chunk of the chunked body aiohttp started (it writes the last chunk when the handler ends)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            self.finish()  # the client went away
            return
        transport = cast(asyncio.WriteTransport, transport)  # uvloop's are not asyncio subclasses
        transport.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.last_write = self.loop.time()
        if transport.get_write_buffer_size() > MAX_UNSENT_BYTES:
            log.warning("cutting a %s watch that does not read its events", self.request.resource)
            self.finish()

    def cut(self) -> None:
        """End the stream after what has committed so far (fault injection, shutdown)."""
        self.flush()
        self.finish()

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class Watches:
    """Open watch streams, so they can be cut together (fault injection, shutdown)."""

    def __init__(self, storage: Storage, *, bookmark_interval: float = 10.0) -> None:
        self.storage = storage
        self.bookmark_interval = bookmark_interval
        self._open: set[_Stream] = set()

    def cut_all(self) -> None:
        """End every open stream."""
        for stream in list(self._open):
            stream.cut()

    @property
    def count(self) -> int:
        """How many watch streams are open."""
        return len(self._open)

    def _initial(self, request: WatchRequest) -> list[bytes] | None:
        rv = request.resource_version
        if rv in ("", "0"):
            return [
                _line("ADDED", request.render(o))
                for o in self.storage.items(request.resource, request.namespace)
                if request.matches(o)
            ]
        try:
            since = int(rv)
        except ValueError as exc:
            raise errors.bad_request(f"invalid resource version {rv!r}") from exc
        history = self.storage.history_since(request.resource, since)
        if history is None:
            return None
        lines = []
        for change in history:
            event = translate(change, request)
            if event is not None:
                lines.append(_change_line(*event, change, request))
        return lines

    async def error(self, http: web.BaseRequest, error: errors.ApiError) -> web.StreamResponse:
        """A watch that ends at once with one ERROR event."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(http)
        await response.write(_line("ERROR", error.status()))
        return response

    async def serve(self, http: web.BaseRequest, request: WatchRequest) -> web.StreamResponse:
        """Stream events until the timeout, a cut, or the client going away."""
        stream = _Stream(request)
        # subscribed before the replay is computed, with no await between: no change is lost or sent twice
        self.storage.subscribe(request.resource, stream.offer)
        self._open.add(stream)
        try:
            initial = self._initial(request)
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            response.enable_chunked_encoding()
            await response.prepare(http)
            if initial is None:
                status = errors.expired(
                    f"too old resource version: {request.resource_version} ({self.storage.oldest_rv})"
                ).status()
                await response.write(_line("ERROR", status))
                return response
            # A client leaving mid-stream (a cancelled watch, a test ending) is normal, not an error.
            with contextlib.suppress(ConnectionResetError):
                if initial:
                    await response.write(b"".join(initial))
                if http.transport is None:
                    return response
                stream.go_live(http.transport)
                await self._until_done(stream)
            return response
        finally:
            stream.finish()
            self._open.discard(stream)
            self.storage.unsubscribe(request.resource, stream.offer)

    async def _until_done(self, stream: _Stream) -> None:
        """Wait out the timeout, writing a BOOKMARK after each `bookmark_interval` without an event."""
        request, loop = stream.request, stream.loop
        deadline = loop.time() + request.timeout
        while not stream.done.done():
            now = loop.time()
            wait = deadline - now
            if request.bookmarks:
                wait = min(wait, stream.last_write + self.bookmark_interval - now)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(stream.done), max(wait, 0))
            if stream.done.done() or loop.time() >= deadline:
                return
            if request.bookmarks and loop.time() - stream.last_write >= self.bookmark_interval:
                api_version, kind = request.bookmark_kind
                bookmark = {
                    "kind": kind,
                    "apiVersion": api_version,
                    "metadata": {"resourceVersion": str(self.storage.rv)},
                }
                stream.write(_line("BOOKMARK", bookmark))
