"""PyTorchJob's Running / Succeeded / Failed / Restarting rule (frameworks.md §2.9).

Upstream visits replica types in Go's random map order, so a pass that sees the Master Succeeded and a Worker
Failed (Never) ends Succeeded or Failed by chance. We visit Master before Worker (quirk F11, fixed: the
Master-first outcome; docs/differences/pytorch.md), then any other key in sorted order.
"""

from __future__ import annotations

from collections.abc import Iterable

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions as cond
from training_operator.core.engine.draft import (
    ReplicaCounts,
    StatusDraft,
)
from training_operator.pytorch.api import MASTER, REPLICA_TYPES, WORKER, spec_of

KIND = "PyTorchJob"
NORMAL = "Normal"
WARNING = "Warning"


def visiting_order(replica_types: Iterable[str]) -> list[str]:
    """Master, Worker, then anything else sorted: deterministic, and the Master decides first."""
    present = set(replica_types)
    return [t for t in REPLICA_TYPES if t in present] + sorted(present - set(REPLICA_TYPES))


def update_pytorch_status(job: JobModel, draft: StatusDraft) -> None:
    """Decide the job's conditions from the per-type pod counts of this reconcile."""
    draft.mark_started()
    specs = job.replica_specs()
    for replica_type in visiting_order(specs):
        counts = draft.counts(replica_type)
        if MASTER in specs:
            if replica_type == MASTER and _master_rule(job, draft, counts):
                return  # the Master's success ends the step: the Worker is not looked at
        elif replica_type == WORKER:
            _worker_rule(job, draft, counts)
        spec = specs[replica_type]
        if counts.failed > 0 and counts.replicas > counts.succeeded + counts.active:
            never = spec is not None and spec.restart_policy == RestartPolicy.NEVER
            _failure_rule(job, draft, replica_type, counts, restart=not never)


def _master_rule(job: JobModel, draft: StatusDraft, counts: ReplicaCounts) -> bool:
    """Running while the Master runs; Succeeded once it has. True when the step must stop."""
    if counts.active > 0:
        _set(draft, ConditionType.RUNNING, f"{KIND} {job.name} is running.")
    if counts.expected != 0:
        return False
    _succeed(draft, f"{KIND} {job.name} is successfully completed.")
    return True


def _worker_rule(job: JobModel, draft: StatusDraft, counts: ReplicaCounts) -> None:
    """Without a Master: every Worker succeeded, or (elastic) any one did; else Running while one runs."""
    elastic = spec_of(job).elastic_policy is not None
    if counts.expected == 0 or (elastic and counts.succeeded > 0):
        _succeed(draft, f"{KIND} {job.namespace}/{job.name} successfully completed.")
    elif counts.active > 0:
        _set(draft, ConditionType.RUNNING, f"{KIND} {job.namespace}/{job.name} is running.")


def _failure_rule(
    job: JobModel, draft: StatusDraft, replica_type: str, counts: ReplicaCounts, *, restart: bool
) -> None:
    """Restarting for restartable policies, Failed for Never; pods gone by scale-down are not failures."""
    failed = f"{counts.failed} {replica_type} replica(s) failed."
    if restart:
        draft.restart(_reason(ConditionType.RESTARTING), f"{KIND} {job.name} is restarting because {failed}")
        return
    draft.fail(_reason(ConditionType.FAILED), f"{KIND} {job.name} is failed because {failed}")


def _succeed(draft: StatusDraft, message: str) -> None:
    draft.succeed(_reason(ConditionType.SUCCEEDED), message)


def _set(draft: StatusDraft, type_: ConditionType, message: str) -> None:
    draft.set_condition(type_, cond.TRUE, _reason(type_), message)


def _reason(type_: ConditionType) -> str:
    return f"{KIND}{type_.value}"
