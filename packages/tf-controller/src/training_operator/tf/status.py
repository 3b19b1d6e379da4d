"""When a TFJob is Running, Succeeded, Restarting or Failed (frameworks.md §1.7, v1.9.0 `UpdateJobStatus`).

Types are visited in the fixed order Chief, Evaluator, Master, PS, Worker. A Chief/Master, when the job has
one, decides Running and Succeeded; without one, the Worker type does, and worker 0 finishing with the
`tensorflow` container's exit code 0 is enough unless `successPolicy: AllWorkers` (quirk F5). The visit goes
on after success, so a failed replica in the same pass appends Failed after Succeeded (quirk F1). A failed
replica re-applies a Restarting condition present when the step began, is ignored for dynamic Workers, and
fails the job otherwise; Evaluator failures count although Evaluators never drive success (quirk F3).
"""

from __future__ import annotations

from typing import Any, Final

from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions
from training_operator.core.engine import draft as drafts
from training_operator.core.engine.conditions import TRUE
from training_operator.core.engine.draft import StatusDraft
from training_operator.tf.api import (
    CHIEF,
    CHIEF_TYPES,
    EVALUATOR,
    KIND,
    MASTER,
    PS,
    SUCCESS_POLICY_ALL_WORKERS,
    WORKER,
    TFJob,
)

RUNNING: Final = f"{KIND}Running"
SUCCEEDED: Final = f"{KIND}Succeeded"
FAILED: Final = f"{KIND}Failed"
#: upstream's fixed visit order
VISIT_ORDER: Final = (CHIEF, EVALUATOR, MASTER, PS, WORKER)
#: the container whose exit code decides the worker-0 rule
DEFAULT_CONTAINER: Final = "tensorflow"


def worker0_completed(job: TFJob, draft: StatusDraft) -> bool:
    """Worker 0 is the only pod in its slot, Succeeded, and its `tensorflow` container exited 0.

    Consulted only for a job with Workers and no Chief or Master."""
    pod = draft.pod(WORKER, 0)
    if pod is None or pod.phase != "Succeeded":
        return False
    container = pod.container(DEFAULT_CONTAINER)
    return container is not None and container.exit_code == 0


def update_status(job: TFJob, draft: StatusDraft) -> None:
    """The framework status step, run after every pod pass of an unfinished job."""
    worker0_done = worker0_completed(job, draft)
    draft.mark_started()
    restarting = conditions.find(draft.conditions, ConditionType.RESTARTING)
    specs = job.replica_specs()
    has_chief = any(t in specs for t in CHIEF_TYPES)
    all_workers = job.spec.success_policy == SUCCESS_POLICY_ALL_WORKERS
    for replica_type in VISIT_ORDER:
        if replica_type not in specs:
            continue
        counts = draft.counts(replica_type)
        if has_chief and replica_type in CHIEF_TYPES:
            if counts.active > 0:
                _set_running(job, draft)
            if counts.expected == 0:
                _succeed(job, draft)
        elif not has_chief and replica_type == WORKER:
            if counts.expected == 0 or (worker0_done and not all_workers):
                _succeed(job, draft)
            elif counts.active > 0:
                _set_running(job, draft)
        if counts.failed > 0:
            _on_failure(job, draft, replica_type, counts.failed, restarting)


def _set_running(job: TFJob, draft: StatusDraft) -> None:
    draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, f"TFJob {job.namespace}/{job.name} is running.")


def _succeed(job: TFJob, draft: StatusDraft) -> None:
    draft.succeed(SUCCEEDED, f"TFJob {job.namespace}/{job.name} successfully completed.")


def _on_failure(
    job: TFJob, draft: StatusDraft, replica_type: str, failed: int, restarting: dict[str, Any] | None
) -> None:
    if restarting is not None:
        reason, message = restarting.get("reason", ""), restarting.get("message", "")
        draft.set_condition(ConditionType.RESTARTING, TRUE, reason, message)
        draft.count(drafts.JOBS_RESTARTED)
        return
    if replica_type == WORKER and job.spec.enable_dynamic_worker:
        return  # dynamic workers may come and go
    draft.fail(
        FAILED,
        f"TFJob {job.namespace}/{job.name} has failed because {failed} {replica_type} replica(s) failed.",
    )
