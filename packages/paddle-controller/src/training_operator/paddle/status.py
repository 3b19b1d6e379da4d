"""When a PaddleJob is Running, Succeeded, Restarting or Failed (frameworks.md §5.7, v1.9.0 rule).

In PS mode the Master decides: Running while a Master runs, Succeeded once every Master has (the Workers are
then not looked at). In collective mode the Workers decide: Succeeded once all have, Running while one runs.
A type with failed pods and fewer running plus succeeded than wanted restarts the job, or fails it under
`restartPolicy: Never`. Upstream visits the types in Go's random map order; we visit Master first, then
Worker, then anything else sorted, so one pass always decides the same way (quirk F11, fixed).
"""

from __future__ import annotations

from typing import Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.status import ConditionType
from training_operator.core.engine.conditions import TRUE
from training_operator.core.engine.draft import StatusDraft
from training_operator.paddle.api import KIND, MASTER, REPLICA_TYPES, WORKER, PaddleJob

RUNNING: Final = f"{KIND}Running"
SUCCEEDED: Final = f"{KIND}Succeeded"
RESTARTING: Final = f"{KIND}Restarting"
FAILED: Final = f"{KIND}Failed"


def visit_order(job: PaddleJob) -> list[str]:
    """The declared types that are present, Master before Worker: defaulting has normalised every key to
    one of them and validation refused any other, so the declaration is the whole order."""
    specs = job.replica_specs()
    return [key for key in REPLICA_TYPES if specs.get(key) is not None]


def update_status(job: PaddleJob, draft: StatusDraft) -> None:
    """The framework status step, run after every pod pass of an unfinished job."""
    draft.mark_started()
    ps_mode = job.ps_mode
    for replica_type in visit_order(job):
        counts = draft.counts(replica_type)
        if ps_mode and replica_type == MASTER:
            if counts.active > 0:
                draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, f"{KIND} {job.name} is running.")
            if counts.expected == 0:
                draft.succeed(SUCCEEDED, f"{KIND} {job.name} is successfully completed.")
                return
        elif not ps_mode and replica_type == WORKER:
            where = f"{job.namespace}/{job.name}"
            if counts.expected == 0:
                draft.succeed(SUCCEEDED, f"{KIND} {where} successfully completed.")
            elif counts.active > 0:
                draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, f"{KIND} {where} is running.")
        if counts.failed > 0 and counts.replicas > counts.succeeded + counts.active:
            _failed(job, draft, replica_type, counts.failed)


def _failed(job: PaddleJob, draft: StatusDraft, replica_type: str, failed: int) -> None:
    """Restarting unless the type's policy is Never, then Failed."""
    spec = job.replica_specs().get(replica_type)
    because = f"because {failed} {replica_type} replica(s) failed."
    if spec is not None and spec.restart_policy == RestartPolicy.NEVER:
        draft.fail(FAILED, f"{KIND} {job.name} is failed {because}")
    else:
        draft.restart(RESTARTING, f"{KIND} {job.name} is restarting {because}")
