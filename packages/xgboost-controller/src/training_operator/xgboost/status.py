"""When an XGBoostJob is Running, Succeeded, Restarting or Failed (frameworks.md §4.7, v1.9.0 rule).

The Master alone decides success; any failed replica fails the job unless its policy is ExitCode, including
OnFailure/Always pods that reached phase Failed while the common engine recreates them (quirk F13, replicated:
clients see it). The failure branch sets Running first, as upstream does, which clears a Restarting condition.
The Master is visited first, then Worker, so one pass always decides the same way (quirk F11, fix).
"""

from __future__ import annotations

from typing import Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.status import ConditionType
from training_operator.core.engine.conditions import TRUE
from training_operator.core.engine.draft import StatusDraft
from training_operator.xgboost.api import KIND, MASTER, REPLICA_TYPES, XGBoostJob

RUNNING: Final = f"{KIND}Running"
SUCCEEDED: Final = f"{KIND}Succeeded"
RESTARTING: Final = f"{KIND}Restarting"
FAILED: Final = f"{KIND}Failed"


def visit_order(job: XGBoostJob) -> list[str]:
    """The declared types that are present, Master first: defaulting has normalised every key to one of
    them and validation refused any other, so the declaration is the whole order."""
    specs = job.replica_specs()
    return [key for key in REPLICA_TYPES if specs.get(key) is not None]


def update_status(job: XGBoostJob, draft: StatusDraft) -> None:
    """The framework status step, run after every pod pass of an unfinished job."""
    draft.mark_started()
    for replica_type in visit_order(job):
        counts = draft.counts(replica_type)
        if replica_type == MASTER:
            if counts.active > 0:
                _set_running(job, draft)
            if counts.expected == 0:
                _succeed(job, draft)
                return
        if counts.failed > 0:
            _set_running(job, draft)
            _fail(job, draft, replica_type, counts.failed)


def _set_running(job: XGBoostJob, draft: StatusDraft) -> None:
    draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, f"XGBoostJob {job.name} is running.")


def _succeed(job: XGBoostJob, draft: StatusDraft) -> None:
    _set_running(job, draft)
    draft.succeed(SUCCEEDED, f"XGBoostJob {job.name} is successfully completed.")


def _fail(job: XGBoostJob, draft: StatusDraft, replica_type: str, failed: int) -> None:
    spec = job.replica_specs().get(replica_type)
    if spec is not None and spec.restart_policy == RestartPolicy.EXIT_CODE:
        restarting = f"XGBoostJob {job.name} is restarting because {failed} {replica_type} replica(s) failed."
        draft.restart(RESTARTING, restarting)
        return
    draft.fail(FAILED, f"XGBoostJob {job.name} is failed because {failed} {replica_type} replica(s) failed.")
