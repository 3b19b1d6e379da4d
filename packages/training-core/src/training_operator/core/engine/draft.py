"""A job's status while one reconcile builds it: the only thing a framework's status rule may change.

The draft is in-memory and pure; the engine turns it into the new status (or None when it equals the stored
one), plus the events and metric increments the rule asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions as cond
from training_operator.core.engine.json_copy import json_copy
from training_operator.core.engine.observed import PodRecord
from training_operator.core.engine.plan import Event, MetricIncrement

JOBS_CREATED = "training_operator_jobs_created_total"
JOBS_DELETED = "training_operator_jobs_deleted_total"
JOBS_SUCCESSFUL = "training_operator_jobs_successful_total"
JOBS_FAILED = "training_operator_jobs_failed_total"
JOBS_RESTARTED = "training_operator_jobs_restarted_total"


@dataclass(frozen=True, slots=True)
class ReplicaCounts:
    """What a status rule knows about one replica type (common.md §9)."""

    replicas: int
    active: int = 0
    succeeded: int = 0
    failed: int = 0

    @property
    def expected(self) -> int:
        """Replicas that still have to succeed."""
        return self.replicas - self.succeeded


class StatusDraft:
    """The mutable status of one reconcile, with the framework-facing verbs of Kubeflow's status step."""

    def __init__(
        self,
        *,
        job: JobModel,
        status: Mapping[str, Any] | None,
        now: str,
        framework_label: str,
        pods: Mapping[tuple[str, int], PodRecord] | None = None,
    ) -> None:
        self.job = job
        self.now = now
        self.framework_label = framework_label
        self.status: dict[str, Any] = json_copy(dict(status or {}))
        self.pods: Mapping[tuple[str, int], PodRecord] = pods or {}
        self.events: list[Event] = []
        self.metrics: list[MetricIncrement] = []
        self.restarting_at_start = cond.is_true(self.conditions, ConditionType.RESTARTING)

    @property
    def conditions(self) -> list[dict[str, Any]]:
        """The ordered condition list (a fresh list when the status has none)."""
        return list(self.status.get("conditions") or [])

    def set_condition(self, type_: str, status: str, reason: str, message: str, **rules: bool) -> bool:
        """Merge one condition by the condition-engine rules; True when the list changed."""
        new = cond.set_condition(
            self.conditions, type_=type_, status=status, reason=reason, message=message, now=self.now, **rules
        )
        if new is None:
            return False
        self.status["conditions"] = new
        return True

    def is_true(self, type_: str) -> bool:
        """A condition of this type is True."""
        return cond.is_true(self.conditions, type_)

    @property
    def finished(self) -> bool:
        """Succeeded=True or Failed=True."""
        return cond.is_finished(self.conditions)

    def counts(self, replica_type: str) -> ReplicaCounts:
        """Counts of one replica type as computed from the pods in this reconcile."""
        spec = self.job.replica_specs().get(replica_type)
        replicas = 1 if spec is None or spec.replicas is None else spec.replicas
        raw = (self.status.get("replicaStatuses") or {}).get(replica_type) or {}
        return ReplicaCounts(
            replicas=replicas,
            active=raw.get("active", 0),
            succeeded=raw.get("succeeded", 0),
            failed=raw.get("failed", 0),
        )

    def pod(self, replica_type: str, index: int) -> PodRecord | None:
        """The single pod at this slot, if exactly one exists."""
        return self.pods.get((replica_type, index))

    def mark_started(self) -> None:
        """Set startTime to now if it is unset."""
        self.status.setdefault("startTime", self.now)
        if self.status["startTime"] is None:
            self.status["startTime"] = self.now

    def mark_completed(self) -> None:
        """Set completionTime to now if it is unset."""
        if not self.status.get("completionTime"):
            self.status["completionTime"] = self.now

    def event(self, type_: str, reason: str, message: str) -> None:
        """Record an event on the job."""
        self.events.append(Event(type_, reason, message))

    def succeed(self, reason: str, message: str) -> None:
        """The framework decided success: event, completionTime, Succeeded=True, the success counter."""
        self.event("Normal", reason, message)
        self.mark_completed()
        self.set_condition(ConditionType.SUCCEEDED, cond.TRUE, reason, message)
        self.count(JOBS_SUCCESSFUL)

    def fail(self, reason: str, message: str) -> None:
        """The framework decided failure: Normal event (as upstream), completionTime, Failed=True, counter."""
        self.event("Normal", reason, message)
        self.mark_completed()
        self.set_condition(ConditionType.FAILED, cond.TRUE, reason, message)
        self.count(JOBS_FAILED)

    def restart(self, reason: str, message: str) -> None:
        """Replicas failed and will be restarted: Warning event, Restarting=True, the restart counter."""
        self.event("Warning", reason, message)
        self.set_condition(ConditionType.RESTARTING, cond.TRUE, reason, message)
        self.count(JOBS_RESTARTED)

    def count(self, metric: str) -> None:
        """Increment one of the job counters, labelled with the job's namespace and framework."""
        labels = {"job_namespace": self.job.namespace, "framework": self.framework_label}
        self.metrics.append(MetricIncrement(metric, labels))
