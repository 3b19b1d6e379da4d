"""Whole-job restart of an MPIJob (ours, opt-in with `spec.runPolicy.wholeJobRestart`).

Core's rule (`core.engine.restart`) decides; this module only says what an MPIJob's attempt is made of: the
launcher batch Job and the worker pods. A failure the restart policy retries — a launcher pod failed (its
Job retries under both `OnFailure` and `Never`, so the launcher always is), or a worker failed under
`OnFailure` — moves the job to the next attempt: one status write, then the launcher Job (its pods go with
it by propagation) and every worker are deleted, and once all are gone the ordinary sync creates them again
labelled with the new attempt. The Service, ConfigMap and Secret stay, so the hostfile does not change.

A worker under `Never` that fails is left alone as without the policy (its launcher's mpirun fails next,
and that restarts the job), and a launcher Job that failed for another reason than its pod failing (its
`activeDeadlineSeconds`) fails the MPIJob as today.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from training_operator.core import labels
from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions as cond
from training_operator.core.engine import policy, restart
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord, Snapshot
from training_operator.core.engine.plan import Delete
from training_operator.core.engine.policy import FailedPodAction
from training_operator.mpi import launcher, naming, status, workers
from training_operator.mpi.api import DEFAULT_CONTAINER, KIND, WORKER, MPIJob
from training_operator.mpi.children import Writes

#: the launcher is a batch Job, which retries a failed pod under either restart policy
LAUNCHER_POLICY = RestartPolicy.ON_FAILURE


def step(
    job: MPIJob, observed: Snapshot, draft: StatusDraft, writes: Writes, current: ObjectRecord | None
) -> restart.Outcome:
    """Apply core's rule to one sync of an active MPIJob; `current` is the launcher Job the job may use.

    Handled outcomes stop the sync here: nothing is created or counted while an older attempt's children
    exist, and a job whose restarts are used up is failed.
    """
    if not restart.enabled(job) or job.suspended:
        return restart.Outcome()
    if current is not None and status.job_condition(current.body, "Complete") is not None:
        return restart.Outcome()  # the launcher decided: a worker failing afterwards restarts nothing
    worker = job.replica(WORKER)
    worker_policy = RestartPolicy(worker.restart_policy) if worker and worker.restart_policy else None
    given = restart.Inputs(
        attempt=restart.attempt_of(job.status.to_wire() if job.status is not None else None),
        pods=(*_workers(job, observed), *_launcher_pods(job, observed, current)),
        policies={labels.JOB_ROLE_LAUNCHER: LAUNCHER_POLICY, labels.JOB_ROLE_WORKER: worker_policy},
        container=DEFAULT_CONTAINER,
        type_label=labels.JOB_ROLE,
        others=() if current is None else (current,),
        signals=_launcher_signals(current),
    )
    outcome = restart.settle(job, draft, given, kind=KIND, **status.MPI_RULES)
    for child in outcome.stale:
        _delete(child, writes)
    if outcome.failure is not None:
        _fail(job, draft, writes, current, outcome.failure)
    writes.requeue_after = outcome.requeue_after
    return outcome


def launcher_deadline(job: MPIJob, start_time: str | None, now: datetime) -> int | None:
    """What is left of activeDeadlineSeconds (at least 1 s, the least a Job takes) for a new launcher Job, so
    the deadline bounds the whole job across its attempts; None leaves the field as the job has it."""
    if not restart.enabled(job):
        return None
    left = policy.seconds_to_deadline(job.run_policy.active_deadline_seconds, start_time, now)
    return None if left is None else max(1, math.ceil(left))


def _workers(job: MPIJob, observed: Snapshot) -> list[PodRecord]:
    """The job's own worker pods (another controller's pod at a worker's name is never touched)."""
    return [pod for pod in workers.listed(job, observed) if pod.owner_uid == job.uid]


def _launcher_pods(job: MPIJob, observed: Snapshot, current: ObjectRecord | None) -> list[PodRecord]:
    """Pods of this job's launcher Job, the current one or an older attempt's that is still going."""
    controller = f"{launcher.KIND}/{naming.launcher(job)}"
    current_uid = current.uid if current is not None else None
    return [
        pod
        for pod in observed.pods
        if pod.labels.get(labels.JOB_ROLE) == labels.JOB_ROLE_LAUNCHER
        and pod.labels.get(labels.JOB_NAME) == job.name
        and (pod.controller == controller or (current_uid and pod.owner_uid == current_uid))
    ]


def _launcher_signals(current: ObjectRecord | None) -> Sequence[tuple[str, FailedPodAction]]:
    """The launcher Job's own verdict: failed after its pod did (retried), or out of time (final)."""
    failure = None if current is None else status.job_condition(current.body, "Failed")
    if failure is None:
        return ()
    retried = failure.get("reason") == status.BACKOFF_LIMIT_EXCEEDED
    return ((labels.JOB_ROLE_LAUNCHER, FailedPodAction.RESTART if retried else FailedPodAction.FAIL_JOB),)


def _delete(child: PodRecord | ObjectRecord, writes: Writes) -> None:
    """One delete per child of an older attempt; the launcher's pods go with their Job, never one by one."""
    if child.deleting:
        return
    if isinstance(child, ObjectRecord):
        writes.deletes.append(Delete(child.api_version, child.kind, child.name, child.uid))
    elif child.labels.get(labels.JOB_ROLE) == labels.JOB_ROLE_WORKER:
        writes.deletes.append(Delete("v1", "Pod", child.name, child.uid))


def _fail(
    job: MPIJob, draft: StatusDraft, writes: Writes, current: ObjectRecord | None, message: str
) -> None:
    """Restarts used up: the MPIJob fails as when its launcher fails, and a launcher still running is
    stopped (its Job deleted); workers then go by cleanPodPolicy like after any failure."""
    draft.mark_completed()
    status.set_condition(draft, ConditionType.FAILED, cond.TRUE, "MPIJobFailed", message)
    draft.event("Warning", "MPIJobFailed", message)
    status.count(draft, status.JOBS_FAILED)
    if current is not None and not current.deleting and status.job_condition(current.body, "Failed") is None:
        _delete(current, writes)
