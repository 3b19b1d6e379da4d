"""The in-memory index of every job's children, fed by the watches and read as a `Snapshot` per reconcile.

Records are slim (see `convert`), keyed by the job they belong to, and compared on arrival; the keys' parts
that every child repeats (resource type, namespace, job key) are shared, not copied per child: an update that
changes nothing the engine reads (a resourceVersion bump, a kubelet heartbeat) wakes no reconcile. A relist
after 410 Gone *replaces* one resource's records wholesale, so an object deleted while the watch was broken
cannot linger. The writer updates the index from its own responses (create, delete), which is what stops the
next reconcile from creating a child again before the watch shows it (Go's "expectations"); the watch event
that echoes such a write carries the same resourceVersion and is recognised without converting the object
again (every ADDED event of a child the operator created is one).

An object the label-selected watches never show (another controller's, or one without the operator's
labels) but that holds a child's name is *learnt* from the 409 its create got: it is kept under the job as
a probe, re-read by the reconciler with back-off (`probes`), until a watch event, a relist or a 404 takes
over.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core import labels
from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord, Snapshot
from training_operator.core.framework import KindInfo
from training_operator.core.kube import convert
from training_operator.core.kube.convert import Record

#: identifies one resource type in the index: (apiVersion, kind) of the child objects
Tag = tuple[str, str]


@dataclass(frozen=True, slots=True, order=True)
class JobKey:
    """One job: the queue key and the index key."""

    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"


class Index:
    """Children by job; the only mutable state of the adapter besides the queue."""

    def __init__(self, kinds: Iterable[KindInfo]) -> None:
        kinds = list(kinds)
        self._kinds = {(k.group, k.kind): k.kind for k in kinds}
        self._by_controller = {k.controller_name: k.kind for k in kinds}
        # children keyed by the same (type, namespace, name) tuple objects as `_where`: one tuple per child
        self._children: dict[JobKey, dict[tuple[Tag, str, str], Record]] = {}
        self._where: dict[tuple[Tag, str, str], JobKey] = {}
        self._keys: dict[JobKey, JobKey] = {}
        # children no watch keeps current: learnt from a 409, re-read by the reconciler (core.kube.probes)
        self._probed: set[tuple[Tag, str, str]] = set()
        # resourceVersion of our own last write of a child, until the watch brings that version (or another)
        self._echoes: dict[tuple[Tag, str, str], str] = {}
        # creates in flight: the resourceVersion of the last watch event at that name since it was sent ("")
        self._expected: dict[tuple[Tag, str, str], str] = {}

    def route(self, obj: Mapping[str, Any]) -> JobKey | None:
        """The job an object belongs to: its controller owner, else (MPI launcher pods) the job-name label."""
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        ref = convert.controller_of(obj)
        if ref is not None:
            group = str(ref.get("apiVersion", "")).rpartition("/")[0]
            kind = self._kinds.get((group, str(ref.get("kind", ""))))
            if kind is not None:
                return self._shared_key(JobKey(kind, namespace, str(ref.get("name", ""))))
        obj_labels = meta.get("labels") or {}
        kind = self._by_controller.get(obj_labels.get(labels.OPERATOR_NAME, ""))
        job_name = obj_labels.get(labels.JOB_NAME)
        if kind is not None and job_name:
            return self._shared_key(JobKey(kind, namespace, job_name))
        return None

    def _shared_key(self, key: JobKey) -> JobKey:
        """The one JobKey object of this job (forgotten with its last child)."""
        return self._keys.setdefault(key, key)

    def apply(self, event_type: str, obj: Mapping[str, Any]) -> set[JobKey]:
        """Fold one watch event in; the jobs whose snapshot changed."""
        tag = _tag(obj)
        meta = obj.get("metadata") or {}
        where = (tag, sys.intern(meta.get("namespace") or "default"), meta.get("name", ""))
        if self._expected and where in self._expected:
            self._expected[where] = str(meta.get("resourceVersion") or "")
        if self._echoes:
            echoed = self._echoes.pop(where, None)
            if echoed is not None and echoed == meta.get("resourceVersion"):
                return set()  # our own write, already recorded from its answer
        if event_type == "DELETED":
            return self._remove(where)
        key = self.route(obj)
        if key is None:
            return self._remove(where)
        return self._put(where, key, convert.record(obj))

    def replace(self, tag: Tag, objects: Iterable[Mapping[str, Any]]) -> set[JobKey]:
        """A fresh list of one resource type replaces everything the index held of it."""
        relist = self.relisting(tag)
        relist.add(objects)
        return relist.finish()

    def relisting(self, tag: Tag) -> Relisting:
        """`replace`, a page at a time: a paginated LIST never holds all of its raw objects at once."""
        return Relisting(self, tag)

    def expect(self, key: JobKey, obj: Mapping[str, Any]) -> None:
        """A create of `obj` is about to be sent: until its answer is `put` (or `unexpect`ed), remember the
        version of whatever the watch shows at that name, which may be newer than the answer."""
        self._expected[self._where_of(key, obj)] = ""

    def unexpect(self, key: JobKey, obj: Mapping[str, Any]) -> None:
        """The create `expect`ed has no answer to record (it failed)."""
        self._expected.pop(self._where_of(key, obj), None)

    def put(self, key: JobKey, obj: Mapping[str, Any]) -> None:
        """Record an object the writer has just created or changed (from the API's response) — unless the
        watch already showed it at this version or a later one: the answer of a create can be read after
        the watch events that followed it (the kubelet's Running and Succeeded), and recording it then
        would set the child back to Pending with no event left to correct it."""
        where = self._where_of(key, obj)
        version = (obj.get("metadata") or {}).get("resourceVersion")
        seen = self._expected.pop(where, "")
        if seen and version and _not_older(seen, str(version)):
            return
        self._put(where, key, convert.record(obj))
        if version:
            self._echoes[where] = version

    def learn(self, key: JobKey, obj: Mapping[str, Any]) -> None:
        """Record an object that holds one of the job's child names but that no watch may show (a probe)."""
        where = self._where_of(key, obj)
        self._put(where, key, convert.record(obj))
        self._probed.add(where)

    def probes(self, key: JobKey) -> list[tuple[str, str, str]]:
        """(apiVersion, kind, name) of the job's learnt objects that no watch keeps current."""
        return sorted(
            (tag[0], tag[1], name) for tag, _, name in self._probed if self._where.get((tag, _, name)) == key
        )

    def forget(self, key: JobKey, *, api_version: str, kind: str, name: str) -> None:
        """Drop an object the writer or a probe found gone (or changed beyond what the record says)."""
        self._remove(((api_version, kind), key.namespace, name))

    def _where_of(self, key: JobKey, obj: Mapping[str, Any]) -> tuple[Tag, str, str]:
        meta = obj.get("metadata") or {}
        return (_tag(obj), sys.intern(meta.get("namespace") or key.namespace), meta.get("name", ""))

    def mark_deleting(self, key: JobKey, *, api_version: str, kind: str, name: str) -> None:
        """The writer deleted this child: it is going away, whatever the watch says next."""
        where = ((api_version, kind), key.namespace, name)
        child = self._children.get(key, {}).get(where)
        if child is not None:
            self._children[key][where] = dataclasses.replace(child, deleting=True)

    def snapshot(self, key: JobKey) -> Snapshot:
        """What exists for one job now, sorted by name so plans are deterministic."""
        records = sorted(self._children.get(key, {}).values(), key=lambda r: (type(r).__name__, r.name))
        return Snapshot(
            pods=tuple(r for r in records if isinstance(r, PodRecord)),
            services=tuple(r for r in records if isinstance(r, ServiceRecord)),
            objects=tuple(r for r in records if isinstance(r, ObjectRecord)),
        )

    def __len__(self) -> int:
        return len(self._where)

    def _put(self, where: tuple[Tag, str, str], key: JobKey, rec: Record) -> set[JobKey]:
        self._probed.discard(where)  # a watch, a relist or our own write's answer: current again
        touched = set()
        old_key = self._where.get(where)
        if old_key is not None and old_key != key:
            touched |= self._remove(where)
        children = self._children.setdefault(key, {})
        if children.get(where) != rec:
            children[where] = rec
            touched.add(key)
        self._where[where] = key
        return touched

    def _remove(self, where: tuple[Tag, str, str]) -> set[JobKey]:
        self._probed.discard(where)
        self._echoes.pop(where, None)
        key = self._where.pop(where, None)
        if key is None:
            return set()
        children = self._children.get(key, {})
        children.pop(where, None)
        if not children:
            self._children.pop(key, None)
            self._keys.pop(key, None)
        return {key}


class Relisting:
    """One relist in progress: pages go in as they arrive; `finish` drops what no page mentioned."""

    def __init__(self, index: Index, tag: Tag) -> None:
        self._index = index
        self._tag = _TAGS.setdefault(tag, tag)
        self._stale = {where for where in index._where if where[0] == tag}
        self._touched: set[JobKey] = set()

    def add(self, objects: Iterable[Mapping[str, Any]]) -> None:
        for obj in objects:
            meta = obj.get("metadata") or {}
            where = (self._tag, sys.intern(meta.get("namespace") or "default"), meta.get("name", ""))
            key = self._index.route(obj)
            if key is not None:
                self._stale.discard(where)
                self._touched |= self._index._put(where, key, convert.record(obj))

    def finish(self) -> set[JobKey]:
        """The jobs whose snapshot changed over the whole relist."""
        for where in self._stale:
            self._touched |= self._index._remove(where)
        return self._touched


_TAGS: dict[Tag, Tag] = {}


def _not_older(seen: str, version: str) -> bool:
    """resourceVersions are opaque, but every server we know counts up; unparsable ones compare as older."""
    try:
        return int(seen) >= int(version)
    except ValueError:
        return False


def _tag(obj: Mapping[str, Any]) -> Tag:
    tag = (str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    return _TAGS.setdefault(tag, tag)
