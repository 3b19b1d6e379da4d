"""Watch streams: resume from a resourceVersion, selectors applied server-side, bookmarks, timeouts.

A watch subscribes to the storage's change feed before it replays anything, and both happen without an
await in between, so no change is lost or sent twice. Selector transitions are translated the way the
watch cache does: an object that starts matching is ADDED, one that stops matching is DELETED.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from training_operator.local import errors, wire
from training_operator.local.storage import Change, Storage

Obj = dict[str, Any]
CUT = object()  # sentinel pushed into a watch queue to end the stream


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


class Watches:
    """Open watch streams, so they can be cut together (fault injection, shutdown)."""

    def __init__(self, storage: Storage, *, bookmark_interval: float = 10.0) -> None:
        self.storage = storage
        self.bookmark_interval = bookmark_interval
        self._open: set[asyncio.Queue[Any]] = set()

    def cut_all(self) -> None:
        """End every open stream."""
        for queue in self._open:
            queue.put_nowait(CUT)

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

    async def error(self, http: web.Request, error: errors.ApiError) -> web.StreamResponse:
        """A watch that ends at once with one ERROR event."""
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(http)
        await response.write(_line("ERROR", error.status()))
        return response

    async def serve(self, http: web.Request, request: WatchRequest) -> web.StreamResponse:
        """Stream events until the timeout, a cut, or the client going away."""
        queue: asyncio.Queue[Any] = self.storage.subscribe(request.resource)
        self._open.add(queue)
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
                await self._stream(response, queue, request)
            return response
        finally:
            self._open.discard(queue)
            self.storage.unsubscribe(request.resource, queue)

    async def _stream(
        self, response: web.StreamResponse, queue: asyncio.Queue[Any], request: WatchRequest
    ) -> None:
        deadline = time.monotonic() + request.timeout
        while True:
            wait = deadline - time.monotonic()
            if request.bookmarks:
                wait = min(wait, self.bookmark_interval)
            if wait <= 0 and time.monotonic() >= deadline:
                return
            item: Any = None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0)):
                    item = await queue.get()
            if item is CUT:
                return
            if item is None:
                if time.monotonic() >= deadline:
                    return
                api_version, kind = request.bookmark_kind
                await response.write(
                    _line(
                        "BOOKMARK",
                        {
                            "kind": kind,
                            "apiVersion": api_version,
                            "metadata": {"resourceVersion": str(self.storage.rv)},
                        },
                    )
                )
                continue
            chunks, cut = self._batch(item, queue, request)
            if chunks:
                await response.write(b"".join(chunks))
            if cut:
                return

    @staticmethod
    def _batch(item: Any, queue: asyncio.Queue[Any], request: WatchRequest) -> tuple[list[bytes], bool]:
        """This change and every one already queued, rendered; True when a cut was among them."""
        chunks = []
        while True:
            event = translate(item, request)
            if event is not None:
                chunks.append(_change_line(*event, item, request))
            if queue.empty():
                return chunks, False
            item = queue.get_nowait()
            if item is CUT:
                return chunks, True
