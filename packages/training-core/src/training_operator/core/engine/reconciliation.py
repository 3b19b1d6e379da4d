"""One reconcile in progress: the defaulted job, what exists, and the writes decided so far.

The rule families append to it; `to_plan` turns it into the frozen `Plan`, writing the status only when it
differs from the stored one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine import ownership
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord, Snapshot
from training_operator.core.engine.plan import Adopt, Create, Delete, Plan, Release, Update
from training_operator.core.framework import EngineOptions, Framework


@dataclass(slots=True)
class Reconciliation:
    """The working state of one `plan()` call."""

    job: JobModel
    framework: Framework
    observed: Snapshot
    options: EngineOptions
    now: datetime
    draft: StatusDraft
    stored_status: dict[str, Any]
    pods: tuple[PodRecord, ...]
    services: tuple[ServiceRecord, ...]
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    requeues: list[float] = field(default_factory=list)
    delete_job: bool = False
    error: str | None = None
    #: upstream returns the error before its status write (TTL on a job without completionTime)
    skip_status: bool = False
    claims: list[Adopt | Release] = field(default_factory=list)
    #: children whose names another object holds (engine.ownership)
    blocked: list[ownership.Blocked] = field(default_factory=list)
    #: (kind, name) of every delete planned, so a cleanup of a 1,000-pod job is not quadratic
    _deleting: set[tuple[str, str]] = field(default_factory=set)

    @property
    def kind(self) -> str:
        """The job's kind, the prefix of every condition reason."""
        return self.framework.kind.kind

    def delete_pod(self, pod: PodRecord) -> None:
        """Delete a pod unless it is already terminating (§6.7) or already planned."""
        self._delete("v1", "Pod", pod.name, pod.uid, pod.deleting)

    def delete_service(self, service: ServiceRecord) -> None:
        """Delete a service unless it is already terminating (§7.4) or already planned."""
        self._delete("v1", "Service", service.name, service.uid, service.deleting)

    def delete_object(self, record: ObjectRecord) -> None:
        """Delete any other child."""
        self._delete(record.api_version, record.kind, record.name, record.uid, record.deleting)

    def _delete(self, api_version: str, kind: str, name: str, uid: str, deleting: bool) -> None:
        if deleting or (kind, name) in self._deleting:
            return
        self._deleting.add((kind, name))
        self.deletes.append(Delete(api_version, kind, name, uid))

    def delete_pods_with_services(self, pods: list[PodRecord]) -> None:
        """Delete these pods and the services that share their names (§11.1, §12)."""
        by_name = {s.name: s for s in self.services}
        for pod in pods:
            self.delete_pod(pod)
            if pod.name in by_name:
                self.delete_service(by_name[pod.name])

    def may_create(self, kind: str, name: str) -> bool:
        """Whether a child may be created at this name: nothing else holds it (a holder that is not this
        job's, nor being adopted by it, is reported as blocking)."""
        record = self.observed.named(kind, name)
        if record is None:
            return True
        if record.owner_uid == self.job.uid:
            return False
        if not any(c.kind == kind and c.name == name for c in self.claims if isinstance(c, Adopt)):
            ownership.hold(self.blocked, record)
        return False

    def requeue_in(self, seconds: float) -> None:
        """Ask to be reconciled again after this many seconds (never negative)."""
        self.requeues.append(max(0.0, seconds))

    def to_plan(self) -> Plan:
        """The frozen plan; `status` is None when nothing in it changed."""
        status = self.draft.status
        return Plan(
            creates=tuple(self.creates),
            updates=tuple(self.updates),
            deletes=tuple(self.deletes),
            claims=tuple(self.claims),
            status=None if self.skip_status or status == self.stored_status else status,
            events=tuple(self.draft.events),
            metrics=tuple(self.draft.metrics),
            requeue_after=min(self.requeues) if self.requeues else None,
            delete_job=self.delete_job,
            error=self.error,
        )
