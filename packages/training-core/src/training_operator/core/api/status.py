"""Job status as stored on the wire (common.md §1.5–§1.7)."""

from __future__ import annotations

from enum import StrEnum

from training_operator.core.api.wire import WireModel


class ConditionType(StrEnum):
    """The condition types every kind uses; the last one in the list is the State printer column."""

    CREATED = "Created"
    RUNNING = "Running"
    RESTARTING = "Restarting"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    SUSPENDED = "Suspended"
    #: ours, not Kubeflow's: another object holds the name of a child the job needs (engine.ownership)
    BLOCKED = "Blocked"


class JobCondition(WireModel):
    """One observation about the job's life, with when it last changed."""

    type: str
    status: str
    reason: str | None = None
    message: str | None = None
    last_update_time: str | None = None
    last_transition_time: str | None = None


class ReplicaStatus(WireModel):
    """Pod counts of one replica type; a missing count means 0."""

    active: int | None = None
    succeeded: int | None = None
    failed: int | None = None
    selector: str | None = None
    label_selector: dict[str, object] | None = None


class JobStatus(WireModel):
    """The whole status subresource of a v1 job."""

    conditions: list[JobCondition] | None = None
    replica_statuses: dict[str, ReplicaStatus] | None = None
    start_time: str | None = None
    completion_time: str | None = None
    last_reconcile_time: str | None = None
    #: ours: whole-job restarts done so far, which is also the attempt the current pods belong to
    #: (runPolicy.wholeJobRestart); absent until the first one
    whole_job_restarts: int | None = None
