"""MPIJob status (mpi.md §10): from the launcher Job's conditions and the worker pods, by upstream's rules.

The launcher Job, not a pod, decides the outcome: Kubernetes' job controller has already applied
backoffLimit and activeDeadlineSeconds. Workers only count, except an eviction, which fails the job at once.
Conditions go through core's condition engine with the MPI variant (Failed is not terminal; finishing flips
an earlier Failed to False). Deliberate difference: the `MPIJobRunning` and `MPIJobEvicted` events are sent
when the condition changes, not on every sync (Q5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions as cond
from training_operator.core.engine import draft as core_draft
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord
from training_operator.core.engine.plan import GaugeSet, MetricIncrement
from training_operator.mpi import naming, validation
from training_operator.mpi.api import LAUNCHER, WORKER, MPIJob

JOBS_CREATED = "mpi_operator_jobs_created_total"
JOBS_SUCCESSFUL = "mpi_operator_jobs_successful_total"
JOBS_FAILED = "mpi_operator_jobs_failed_total"
JOB_INFO = "mpi_operator_job_info"
_GENERIC = {
    JOBS_CREATED: core_draft.JOBS_CREATED,
    JOBS_SUCCESSFUL: core_draft.JOBS_SUCCESSFUL,
    JOBS_FAILED: core_draft.JOBS_FAILED,
}
#: MPI's variant of the condition engine: Failed is not terminal, finishing flips an earlier Failed
MPI_RULES = {"failed_is_terminal": False, "finishing_flips_failed": True}
BACKOFF_LIMIT_EXCEEDED = "BackoffLimitExceeded"


def count(draft: StatusDraft, metric: str) -> None:
    """Upstream's unlabelled `mpi_operator_*` counter and the unified operator's labelled one (mpi.md §19)."""
    draft.metrics.append(MetricIncrement(metric))
    draft.count(_GENERIC[metric])


def set_condition(draft: StatusDraft, type_: str, status: str, reason: str, message: str) -> bool:
    """§10.1 with MPI's variant of the condition engine."""
    return draft.set_condition(type_, status, reason, message, **MPI_RULES)


def mark_created(draft: StatusDraft, job: MPIJob) -> None:
    """First sync: Created=True, its event and the created counter (mpi.md §7 step 7)."""
    message = f"MPIJob {job.namespace}/{job.name} is created."
    set_condition(draft, ConditionType.CREATED, cond.TRUE, "MPIJobCreated", message)
    draft.event("Normal", "MPIJobCreated", message)
    count(draft, JOBS_CREATED)


def job_condition(body: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    """The launcher Job's condition of this type when it is True."""
    found = cond.find((body.get("status") or {}).get("conditions") or [], type_)
    return found if found is not None and found.get("status") == cond.TRUE else None


def update(
    draft: StatusDraft,
    job: MPIJob,
    *,
    launcher: ObjectRecord | None,
    launcher_pods: Sequence[PodRecord],
    workers: Sequence[PodRecord],
) -> tuple[GaugeSet, ...]:
    """Steps 1–5 of §10.2 on the draft; returns the gauges to set."""
    _suspension(draft, job)
    gauges: tuple[GaugeSet, ...] = ()
    if launcher is not None:
        _launcher(draft, job, launcher, launcher_pods)
        labels = {"launcher": naming.launcher(job), "namespace": job.namespace}
        gauges = (GaugeSet(JOB_INFO, labels),)
    _workers(draft, workers)
    _running(draft, job, launcher, launcher_pods, workers)
    return gauges


def _suspension(draft: StatusDraft, job: MPIJob) -> None:
    if job.suspended:
        if set_condition(draft, ConditionType.SUSPENDED, cond.TRUE, "MPIJobSuspended", "MPIJob suspended"):
            draft.event("Normal", "MPIJobSuspended", "MPIJob suspended")
    elif cond.find(draft.conditions, ConditionType.SUSPENDED) is not None and set_condition(
        draft, ConditionType.SUSPENDED, cond.FALSE, "MPIJobResumed", "MPIJob resumed"
    ):
        draft.event("Normal", "MPIJobResumed", "MPIJob resumed")
        draft.status["startTime"] = draft.now


def _replica_status(active: int = 0, succeeded: int = 0, failed: int = 0) -> dict[str, int]:
    """Zero counts are omitted on the wire, so an all-zero entry is `{}`."""
    counts = {"active": active, "succeeded": succeeded, "failed": failed}
    return {key: value for key, value in counts.items() if value}


def _set_replicas(draft: StatusDraft, replica_type: str, counts: dict[str, int]) -> None:
    draft.status["replicaStatuses"] = {**(draft.status.get("replicaStatuses") or {}), replica_type: counts}


def _launcher(draft: StatusDraft, job: MPIJob, launcher: ObjectRecord, pods: Sequence[PodRecord]) -> None:
    failed = int((launcher.body.get("status") or {}).get("failed") or 0)
    if job_condition(launcher.body, "Complete") is not None:
        _set_replicas(draft, LAUNCHER, _replica_status(succeeded=1, failed=failed))
        message = f"MPIJob {job.namespace}/{job.name} successfully completed."
        draft.event("Normal", "MPIJobSucceeded", message)
        if not draft.status.get("completionTime"):
            finished = (launcher.body.get("status") or {}).get("completionTime")
            draft.status["completionTime"] = finished or draft.now
        set_condition(draft, ConditionType.SUCCEEDED, cond.TRUE, "MPIJobSucceeded", message)
        count(draft, JOBS_SUCCESSFUL)
    elif (failure := job_condition(launcher.body, "Failed")) is not None:
        _set_replicas(draft, LAUNCHER, _replica_status(failed=failed))
        reason, message = failure_reason(job, failure, pods)
        draft.event("Warning", reason, message)
        draft.mark_completed()
        set_condition(draft, ConditionType.FAILED, cond.TRUE, reason, message)
        count(draft, JOBS_FAILED)
    else:
        running = sum(1 for pod in pods if pod.phase == "Running")
        _set_replicas(draft, LAUNCHER, _replica_status(active=running, failed=failed))


def failure_reason(job: MPIJob, failure: Mapping[str, Any], pods: Sequence[PodRecord]) -> tuple[str, str]:
    """§10.4: the Job's reason and message, with the newest failed pod's detail after a backoff failure."""
    reason = failure.get("reason") or "MPIJobFailed"
    message = failure.get("message") or f"MPIJob {job.namespace}/{job.name} has failed"
    if reason == BACKOFF_LIMIT_EXCEEDED:
        failed = [pod for pod in pods if pod.phase == "Failed"]
        if failed:
            newest = max(failed, key=lambda pod: pod.creation_timestamp)
            reason += "/" + newest.reason  # appended even when empty (Q7)
            message = validation.truncated(message + ": " + newest.message)
    return reason, message


def _workers(draft: StatusDraft, workers: Sequence[PodRecord]) -> None:
    phases = [pod.phase for pod in workers]
    counts = _replica_status(
        active=phases.count("Running"), succeeded=phases.count("Succeeded"), failed=phases.count("Failed")
    )
    _set_replicas(draft, WORKER, counts)
    evicted = sum(1 for pod in workers if pod.phase == "Failed" and pod.reason == "Evicted")
    if evicted:
        # no completionTime: reconciliation goes on, and a later launcher success still wins (Q6)
        message = f"{evicted}/{len(workers)} workers are evicted"
        if set_condition(draft, ConditionType.FAILED, cond.TRUE, "MPIJobEvicted", message):
            draft.event("Warning", "MPIJobEvicted", message)


_FINISHED = (ConditionType.SUCCEEDED.value, ConditionType.FAILED.value)


def _running(
    draft: StatusDraft,
    job: MPIJob,
    launcher: ObjectRecord | None,
    launcher_pods: Sequence[PodRecord],
    workers: Sequence[PodRecord],
) -> None:
    ref = f"MPIJob {job.namespace}/{job.name}"
    if job.suspended:
        set_condition(draft, ConditionType.RUNNING, cond.FALSE, "MPIJobSuspended", f"{ref} is suspended.")
    elif draft.finished:
        if cond.find(draft.conditions, ConditionType.RUNNING) is None:
            at = draft.status.get("completionTime") or draft.now
            never = {"type": ConditionType.RUNNING.value, "status": cond.FALSE, "reason": "MPIJobRunning"}
            never |= {"message": f"{ref} is finished but Running condition was never set."}
            never |= {"lastUpdateTime": at, "lastTransitionTime": at}
            # ours: before Succeeded/Failed, not after it (upstream appends it), so the State column, which
            # shows the last condition, says how the job ended (docs/differences/mpi.md)
            conditions = list(draft.conditions)
            end = next((i for i, c in enumerate(conditions) if c.get("type") in _FINISHED), len(conditions))
            draft.status["conditions"] = [*conditions[:end], never, *conditions[end:]]
    elif (
        launcher is not None
        and any(pod.phase == "Running" for pod in launcher_pods)
        and all(pod.phase == "Running" for pod in workers)
    ) and set_condition(draft, ConditionType.RUNNING, cond.TRUE, "MPIJobRunning", f"{ref} is running."):
        draft.event("Normal", "MPIJobRunning", f"{ref} is running")
