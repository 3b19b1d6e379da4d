"""Object storage: a journal for survival, a dict for speed, a ring of changes for watches.

This is the local cluster's etcd. Every write gets the next value of one global counter as its
resourceVersion, is appended to the journal (so a crash keeps every acknowledged write) and to a bounded
in-memory history that watches resume from. Reads never touch the disk. All methods are synchronous and the
server runs on one event loop, so each write is atomic with respect to every reader.

A write's object is encoded to JSON once: the same bytes go into the journal, into every watcher's event line
(`Change.body`) and, through `encoded`, into the answer to the request that wrote it. The counter is
recorded only by deletions (and at the head of a compacted journal): a stored object's own resourceVersion
says how far the counter got otherwise.
"""

import collections
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training_operator.local import sqlite_import, wire
from training_operator.local.journal import Journal, put_line, record

log = logging.getLogger(__name__)

#: Garbage the journal may hold beyond its live objects before it is rewritten: with the rule "rewrite when
#: the file is over twice the live bytes plus this", each write pays for at most one rewrite of its own size.
COMPACTION_SLACK = 16 * 2**20

ObjectKey = tuple[str, str, str]  # (resource key "group/plural", namespace, name)


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write, as watches and controllers see it."""

    type: str  # ADDED, MODIFIED or DELETED
    resource: str  # ResourceType.key
    object: dict[str, Any]
    old: dict[str, Any] | None
    rv: int
    #: `object` as JSON (its watch event line embeds these bytes)
    body: bytes = field(default=b"", compare=False, repr=False)


class Storage:
    """Objects by key, the counter, the change history and the subscribers."""

    def __init__(self, path: Path, *, history: int = 20000, compaction_slack: int = COMPACTION_SLACK) -> None:
        sqlite_import.import_once(path.with_name("cluster.db"), path)
        self._journal = Journal(path)
        self._compaction_slack = compaction_slack
        self.rv: int = 1
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = collections.defaultdict(dict)
        self._by_uid: dict[str, ObjectKey] = {}
        self._dependents: dict[str, set[ObjectKey]] = collections.defaultdict(set)
        #: the length of each live object's journal line, so the journal knows how much of it is garbage
        self._line_bytes: dict[ObjectKey, int] = {}
        self._live_bytes = 0
        self._replay()
        self._last: tuple[dict[str, Any] | None, bytes] = (None, b"")
        self._history: collections.deque[Change] = collections.deque(maxlen=history)
        # The oldest resourceVersion a watch may resume from: after a restart nothing older is retained.
        self.oldest_rv = self.rv
        self._subscribers: dict[str, list[Callable[[Change], None]]] = collections.defaultdict(list)
        self._listeners: list[Callable[[Change], None]] = []

    def _replay(self) -> None:
        for length, entry in self._journal.replay():
            kind = entry[0]
            if kind == "put":
                _kind, resource, namespace, name, obj = entry
                key = (resource, namespace, name)
                old = self._objects[resource].get((namespace, name))
                if old is not None:
                    self._unindex(key, old)
                self._objects[resource][(namespace, name)] = obj
                self._index(key, obj)
                self.rv = max(self.rv, int(obj["metadata"].get("resourceVersion") or 0))
                self._count_line(key, length)
            elif kind == "delete":
                _kind, resource, namespace, name, rv = entry
                old = self._objects[resource].pop((namespace, name), None)
                if old is not None:
                    self._unindex((resource, namespace, name), old)
                self._live_bytes -= self._line_bytes.pop((resource, namespace, name), 0)
                self.rv = max(self.rv, int(rv))
            elif kind == "rv":
                self.rv = max(self.rv, int(entry[1]))
        self._compact_if_mostly_garbage()

    def close(self) -> None:
        """Close the journal (every write is already in the kernel's hands)."""
        self._journal.close()

    # -- reads ------------------------------------------------------------------------------------
    def get(self, resource: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The stored object, shared: callers must copy before changing it."""
        return self._objects[resource].get((namespace, name))

    def items(self, resource: str, namespace: str | None = None) -> Iterator[dict[str, Any]]:
        """Objects of one resource, sorted by namespace and name as etcd's key order is."""
        bucket = self._objects[resource]
        for key in sorted(bucket):
            if namespace is None or key[0] == namespace:
                yield bucket[key]

    def encoded(self, obj: dict[str, Any]) -> bytes | None:
        """The JSON of `obj` if it is the object the last write stored (its request's answer), else None."""
        last, body = self._last
        return body if last is obj else None

    def count(self, resource: str) -> int:
        """How many objects of one resource are stored."""
        return len(self._objects[resource])

    def resources(self) -> list[str]:
        """Resource keys that hold at least one object."""
        return [r for r, bucket in self._objects.items() if bucket]

    def by_uid(self, uid: str) -> ObjectKey | None:
        """Where the object with this uid lives, for ownerReference resolution."""
        return self._by_uid.get(uid)

    def dependents(self, uid: str) -> list[ObjectKey]:
        """Keys of objects naming `uid` in their ownerReferences."""
        return sorted(self._dependents.get(uid, ()))

    # -- writes -----------------------------------------------------------------------------------
    def next_rv(self) -> int:
        """Reserve the next resourceVersion (persisted with the write that uses it)."""
        self.rv += 1
        return self.rv

    def put(self, resource: str, obj: dict[str, Any], *, event: str) -> Change:
        """Store `obj` (its metadata.resourceVersion already set) and publish the change."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self._objects[resource].get(key)
        rv = int(meta["resourceVersion"])
        body = wire.encode(obj)
        line = put_line(resource, *key, body)
        self._journal.append(line)
        self._count_line((resource, *key), len(line))
        if old is not None:
            self._unindex((resource, *key), old)
        self._objects[resource][key] = obj
        self._index((resource, *key), obj)
        self._last = (obj, body)
        change = self._publish(Change(event, resource, obj, old, rv, body))
        self._compact_if_mostly_garbage()
        return change

    def remove(self, resource: str, obj: dict[str, Any]) -> Change:
        """Delete the object for good; the DELETED event carries a fresh resourceVersion."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self._objects[resource][key]
        rv = self.rv + 1
        self._journal.append(record("delete", resource, *key, rv))
        self.rv = rv
        del self._objects[resource][key]
        self._live_bytes -= self._line_bytes.pop((resource, *key), 0)
        gone = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
        self._unindex((resource, *key), old)
        change = self._publish(Change("DELETED", resource, gone, old, rv, wire.encode(gone)))
        self._compact_if_mostly_garbage()
        return change

    def _count_line(self, key: ObjectKey, length: int) -> None:
        self._live_bytes += length - self._line_bytes.get(key, 0)
        self._line_bytes[key] = length

    def _compact_if_mostly_garbage(self) -> None:
        if self._journal.size <= 2 * self._live_bytes + self._compaction_slack:
            return
        try:
            self._journal.rewrite(self._live_lines())
        except OSError as error:  # the write itself is committed; try again when the journal has doubled
            log.warning("could not compact %s (%s); the cluster goes on appending", self._journal.path, error)
            self._compaction_slack += self._journal.size
        self._live_bytes = sum(self._line_bytes.values())

    def _live_lines(self) -> Iterator[bytes]:
        yield record("rv", self.rv)
        for resource, bucket in self._objects.items():
            for (namespace, name), obj in bucket.items():
                line = put_line(resource, namespace, name, wire.encode(obj))
                self._line_bytes[(resource, namespace, name)] = len(line)
                yield line

    def _index(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._by_uid[meta["uid"]] = key
        for ref in meta.get("ownerReferences") or ():
            self._dependents[ref.get("uid", "")].add(key)

    def _unindex(self, key: ObjectKey, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self._by_uid.pop(meta["uid"], None)
        for ref in meta.get("ownerReferences") or ():
            deps = self._dependents.get(ref.get("uid", ""))
            if deps is not None:
                deps.discard(key)
                if not deps:
                    del self._dependents[ref.get("uid", "")]

    # -- change feed ------------------------------------------------------------------------------
    def _publish(self, change: Change) -> Change:
        self._history.append(change)
        for subscriber in self._subscribers.get(change.resource, ()):
            subscriber(change)
        for listener in self._listeners:
            listener(change)
        return change

    def history_since(self, resource: str, rv: int) -> list[Change] | None:
        """Changes after `rv`, or None when `rv` is older than what is retained (a watch gets 410)."""
        first = self._history[0].rv if self._history else self.rv + 1
        oldest = (
            max(self.oldest_rv, first - 1) if len(self._history) == self._history.maxlen else self.oldest_rv
        )
        if rv < oldest:
            return None
        return [c for c in self._history if c.rv > rv and c.resource == resource]

    def subscribe(self, resource: str, subscriber: Callable[[Change], None]) -> None:
        """Call `subscriber` synchronously with every future change of one resource (watch streams)."""
        self._subscribers[resource].append(subscriber)

    def unsubscribe(self, resource: str, subscriber: Callable[[Change], None]) -> None:
        """Stop calling a subscriber."""
        subscribers = self._subscribers[resource]
        if subscriber in subscribers:
            subscribers.remove(subscriber)

    def listen(self, listener: Callable[[Change], None]) -> None:
        """Call `listener` synchronously on every change (controllers use this to enqueue work)."""
        self._listeners.append(listener)

    def unlisten(self, listener: Callable[[Change], None]) -> None:
        """Stop calling a listener."""
        if listener in self._listeners:
            self._listeners.remove(listener)
