"""When a JAXJob is Running, Succeeded, Restarting or Failed (frameworks.md §6.4, v1.9.0 rule).

Workers are the only type: every Worker succeeded → Succeeded; else one running → Running. A failed Worker,
while fewer than `replicas` are succeeded or running, restarts the job (any policy but Never) or fails it
(Never) — the same failure rule as a PyTorchJob without a Master.
"""

from __future__ import annotations

from typing import Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.status import ConditionType
from training_operator.core.engine.conditions import TRUE
from training_operator.core.engine.draft import StatusDraft
from training_operator.jax.api import KIND, JAXJob

RUNNING: Final = f"{KIND}Running"
SUCCEEDED: Final = f"{KIND}Succeeded"
RESTARTING: Final = f"{KIND}Restarting"
FAILED: Final = f"{KIND}Failed"


def update_status(job: JAXJob, draft: StatusDraft) -> None:
    """The framework status step, run after every pod pass of an unfinished job (types visited sorted)."""
    draft.mark_started()
    specs = job.replica_specs()
    for replica_type in sorted(key for key, spec in specs.items() if spec is not None):
        counts = draft.counts(replica_type)
        if counts.expected == 0:
            draft.succeed(SUCCEEDED, f"{KIND} {job.namespace}/{job.name} successfully completed.")
        elif counts.active > 0:
            running = f"{KIND} {job.namespace}/{job.name} is running."
            draft.set_condition(ConditionType.RUNNING, TRUE, RUNNING, running)
        if counts.failed > 0 and counts.replicas > counts.succeeded + counts.active:
            failed = f"{counts.failed} {replica_type} replica(s) failed."
            spec = specs[replica_type]
            if spec is not None and spec.restart_policy == RestartPolicy.NEVER:
                draft.fail(FAILED, f"{KIND} {job.name} is failed because {failed}")
            else:
                draft.restart(RESTARTING, f"{KIND} {job.name} is restarting because {failed}")
