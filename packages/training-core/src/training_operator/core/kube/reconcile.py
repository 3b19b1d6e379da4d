"""One reconcile of one job: stored body + index snapshot → `framework.plan` → the writer.

The glue between the queue (which decides *when*) and the pure engine (which decides *what*). Job bodies come
from the job watch (kopf event handlers) into `JobStore`; children come from the index, and the objects only
a 409 showed are re-read first when their time has come (`core.kube.probes`). Nothing here keeps state that
the API does not also hold: a restarted operator rebuilds all of it from list calls and 409s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from training_operator.core import keys
from training_operator.core.engine import planner
from training_operator.core.errors import InvalidJob, ReconcileError
from training_operator.core.framework import EngineOptions, Framework
from training_operator.core.kube import probes
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.probes import Probes
from training_operator.core.kube.writer import WriteFailed, Writer

log = logging.getLogger(__name__)


class JobStore:
    """The latest body of every job the operator watches, and which job UIDs it has seen since start."""

    def __init__(self) -> None:
        self._bodies: dict[JobKey, Mapping[str, Any]] = {}
        self._seen: set[str] = set()

    def put(self, key: JobKey, body: Mapping[str, Any]) -> bool:
        """Store a body from the watch; True when this job UID is new to this process."""
        self._bodies[key] = body
        uid = str((body.get("metadata") or {}).get("uid", ""))
        fresh = uid not in self._seen
        self._seen.add(uid)
        return fresh

    def put_newer(self, key: JobKey, body: Mapping[str, Any]) -> None:
        """Store our own write's response unless the watch already brought something newer."""
        current = self._bodies.get(key)
        if current is None or _version(body) >= _version(current):
            self._bodies[key] = body

    def get(self, key: JobKey) -> Mapping[str, Any] | None:
        """The job's body, if it exists."""
        return self._bodies.get(key)

    def remove(self, key: JobKey, uid: str | None = None) -> bool:
        """The job was deleted; False (and nothing removed) when the name now holds another job (`uid`).

        kopf handles each job UID on a worker of its own, so a deleted job's last event and the first of a
        new job of the same name can arrive in either order: the old one's must not remove the new one.
        """
        body = self._bodies.get(key)
        if body is None:
            return True
        stored = str((body.get("metadata") or {}).get("uid", ""))
        if uid is not None and stored != uid:
            return False
        del self._bodies[key]
        self._seen.discard(stored)
        return True

    def superseded(self, key: JobKey, body: Mapping[str, Any]) -> bool:
        """Whether `body` is a late event of a job this name no longer holds: another UID is stored, and at a
        later resourceVersion (a deleted job's event delivered after its successor's, see `remove`)."""
        current = self._bodies.get(key)
        if current is None:
            return False
        uid = (body.get("metadata") or {}).get("uid")
        return (current.get("metadata") or {}).get("uid") != uid and _version(current) > _version(body)

    def __iter__(self) -> Iterator[JobKey]:
        return iter(list(self._bodies))


def _version(body: Mapping[str, Any]) -> int:
    """resourceVersions are opaque, but every server we know counts up; unparsable ones sort first."""
    try:
        return int((body.get("metadata") or {}).get("resourceVersion", ""))
    except ValueError:
        return -1


class Reconciler:
    """`await reconciler(key)` → the timer the plan asked for (seconds) or None; raises to back off."""

    def __init__(
        self,
        *,
        framework: Framework,
        store: JobStore,
        index: Index,
        writer: Writer,
        options: EngineOptions,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        reader: Probes | None = None,
        priority_classes: Mapping[str, int] | None = None,
    ) -> None:
        self.framework = framework
        self.store = store
        self.index = index
        self.writer = writer
        self.options = options
        self.clock = clock
        self.probes = reader or Probes(writer.client, index)
        #: kept current by a watch (gang scheduling only); copied into each snapshot, never read by the engine
        self.priority_classes = priority_classes if priority_classes is not None else {}
        self._replans: dict[JobKey, int] = {}

    async def __call__(self, key: JobKey) -> float | None:
        body = self.store.get(key)
        if body is None:
            self.probes.forget(key)
            self._replans.pop(key, None)
            return None  # deleted: garbage collection removes the children (common.md §4.4 step 1)
        try:
            job = self.framework.parse(body)
        except InvalidJob as error:
            log.warning("%s cannot be reconciled: %s", key, error)
            return None  # a spec change brings it back; retrying the same body cannot help
        now = self.clock()
        await self.probes.refresh(key, now)
        snapshot = self.index.snapshot(key)
        if self.priority_classes:
            snapshot = replace(snapshot, priority_classes=dict(self.priority_classes))
        if self.framework.wants_key_pair(job, snapshot):
            snapshot = replace(snapshot, key_pair=keys.ssh_key_pair())
        plan = planner.plan(job, self.framework, snapshot, now=now, options=self.options)
        if not plan.idle:
            log.info("%s: %d write(s)", key, plan.writes)
        try:
            written = await self.writer.execute(plan, key=key, job=body, kind=self.framework.kind)
        except WriteFailed as failure:
            self._keep(key, body, failure.job)
            raise
        self._keep(key, body, written.job)
        if plan.error is not None:
            raise ReconcileError(plan.error)
        reread = self.probes.track(key, now)
        if written.replan:
            return self._replan(key)
        self._replans.pop(key, None)
        timers = [t for t in (plan.requeue_after, reread) if t is not None]
        return min(timers) if timers else None

    def _replan(self, key: JobKey) -> float:
        """A create met an object the plan did not know: decide about it at once — but a plan that keeps
        creating over what it was just shown would be a hot loop against the API server, so from the third
        time in a row the re-plan waits as a probe would."""
        count = self._replans[key] = self._replans.get(key, 0) + 1
        if count <= 2:
            return 0.0
        log.warning("%s: planned a create over an object it was shown %d times in a row", key, count)
        return probes.delay(count - 3)

    def _keep(self, key: JobKey, body: Mapping[str, Any], written: Mapping[str, Any] | None) -> None:
        if written is not None and written is not body:
            self.store.put_newer(key, written)
