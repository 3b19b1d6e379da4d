"""When an MXJob is Running, Succeeded, Restarting or Failed (frameworks.md §3.7, v1.7.0 rule).

Upstream lets only the Scheduler (or the lone replica of a single-worker job) decide success, so a tuning
job, which has no Scheduler, never leaves `Created`. We fix that: without a Scheduler the Tuner drives the
job, as the Scheduler does in training (docs/differences/mxnet.md). Types are visited driver first, then
sorted, so one pass always decides the same way (quirk F11, fix).
"""

from __future__ import annotations

from typing import Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.status import ConditionType
from training_operator.core.engine.conditions import TRUE
from training_operator.core.engine.draft import StatusDraft
from training_operator.mxnet.api import KIND, SCHEDULER, SERVER, TUNER, WORKER, MXJob

RUNNING: Final = f"{KIND}Running"
SUCCEEDED: Final = f"{KIND}Succeeded"
RESTARTING: Final = f"{KIND}Restarting"
FAILED: Final = f"{KIND}Failed"


def _replicas(job: MXJob, replica_type: str) -> int:
    spec = job.replica_specs().get(replica_type)
    return 0 if spec is None else 1 if spec.replicas is None else spec.replicas


def is_single_training(job: MXJob) -> bool:
    """Exactly one Worker and no Scheduler or Server replicas: then any type may decide (upstream v1.6+)."""
    no_parameter_server = _replicas(job, SCHEDULER) == 0 and _replicas(job, SERVER) == 0
    return no_parameter_server and _replicas(job, WORKER) == 1


def driver_types(job: MXJob) -> frozenset[str]:
    """The replica types whose pods decide Running and Succeeded."""
    specs = {key: spec for key, spec in job.replica_specs().items() if spec is not None}
    if is_single_training(job):
        return frozenset(specs)
    if SCHEDULER in specs:
        return frozenset({SCHEDULER})
    # the fix: a tuning job ends when its tuner ends; Tuner* keys are not case-normalised, so match any case
    return frozenset(key for key in specs if key.lower() == TUNER.lower())


def visit_order(job: MXJob) -> list[str]:
    """Driver types first, then the others, each group sorted."""
    drivers = driver_types(job)
    present = [key for key, spec in job.replica_specs().items() if spec is not None]
    return sorted(present, key=lambda key: (key not in drivers, key))


def update_status(job: MXJob, draft: StatusDraft) -> None:
    """The framework status step, run after every pod pass of an unfinished job."""
    draft.mark_started()
    drivers = driver_types(job)
    for replica_type in visit_order(job):
        counts = draft.counts(replica_type)
        if replica_type in drivers:
            if counts.active > 0:
                draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, f"MXJob {job.name} is running.")
            if counts.expected == 0:
                _succeed(job, draft)
                return
        if counts.failed > 0:
            _fail(job, draft, replica_type, counts.failed)


def _succeed(job: MXJob, draft: StatusDraft) -> None:
    draft.succeed(SUCCEEDED, f"MXJob {job.name} is successfully completed.")


def _fail(job: MXJob, draft: StatusDraft, replica_type: str, failed: int) -> None:
    spec = job.replica_specs().get(replica_type)
    if spec is not None and spec.restart_policy == RestartPolicy.EXIT_CODE:
        # lower-case "mxjob" in both messages is upstream's text
        draft.restart(
            RESTARTING, f"mxjob {job.name} is restarting because {failed} {replica_type} replica(s) failed."
        )
        return
    draft.fail(FAILED, f"mxjob {job.name} is failed because {failed} {replica_type} replica(s) failed.")
