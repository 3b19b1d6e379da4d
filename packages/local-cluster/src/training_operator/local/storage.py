"""Durable object storage: SQLite for survival, a dict for speed, a ring of changes for watches.

This is the local cluster's etcd. Every write gets the next value of one global counter as its
resourceVersion, is committed to SQLite (WAL, so a crash keeps every acknowledged write) and is appended to a
bounded in-memory history that watches resume from. Reads never touch SQLite. All methods are synchronous and
the server runs on one event loop, so each write is atomic with respect to every reader.

A write's object is encoded to JSON once: the same bytes go to SQLite, into every watcher's event line
(`Change.body`) and, through `encoded`, into the answer to the request that wrote it. The counter row is
written only by deletions: a stored object's own resourceVersion says how far the counter got otherwise.
"""

import collections
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training_operator.local import wire

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

    def __init__(self, path: Path, *, history: int = 20000) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS objects (resource TEXT, namespace TEXT, name TEXT, body TEXT, "
            "PRIMARY KEY (resource, namespace, name))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER)")
        row = self._db.execute("SELECT value FROM counters WHERE name='rv'").fetchone()
        self.rv: int = int(row[0]) if row else 1
        self._objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = collections.defaultdict(dict)
        self._by_uid: dict[str, ObjectKey] = {}
        self._dependents: dict[str, set[ObjectKey]] = collections.defaultdict(set)
        for resource, namespace, name, body in self._db.execute("SELECT * FROM objects"):
            obj = wire.decode(body)
            self._objects[resource][(namespace, name)] = obj
            self._index((resource, namespace, name), obj)
            self.rv = max(self.rv, int(obj["metadata"].get("resourceVersion") or 0))
        self._last: tuple[dict[str, Any] | None, bytes] = (None, b"")
        self._history: collections.deque[Change] = collections.deque(maxlen=history)
        # The oldest resourceVersion a watch may resume from: after a restart nothing older is retained.
        self.oldest_rv = self.rv
        self._subscribers: dict[str, list[Callable[[Change], None]]] = collections.defaultdict(list)
        self._listeners: list[Callable[[Change], None]] = []

    def close(self) -> None:
        """Flush and close the database."""
        self._db.close()

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
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", (resource, *key, body))
        if old is not None:
            self._unindex((resource, *key), old)
        self._objects[resource][key] = obj
        self._index((resource, *key), obj)
        self._last = (obj, body)
        return self._publish(Change(event, resource, obj, old, rv, body))

    def remove(self, resource: str, obj: dict[str, Any]) -> Change:
        """Delete the object for good; the DELETED event carries a fresh resourceVersion."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old = self._objects[resource].pop(key)
        rv = self.next_rv()
        gone = {**obj, "metadata": {**meta, "resourceVersion": str(rv)}}
        with self._db:
            self._db.execute(
                "DELETE FROM objects WHERE resource=? AND namespace=? AND name=?", (resource, *key)
            )
            self._db.execute("INSERT OR REPLACE INTO counters VALUES ('rv', ?)", (rv,))
        self._unindex((resource, *key), old)
        return self._publish(Change("DELETED", resource, gone, old, rv, wire.encode(gone)))

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
