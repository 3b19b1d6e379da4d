"""PyTorchJob's own admission rules (frameworks.md §2.4, common.md §3.3) on the raw, undefaulted job.

The webhook runs before defaulting, so an unset Master `replicas` is rejected (quirk F6, replicated): users
must write `replicas: 1` for the Master. The replica-type whitelist, the container rules and managedBy
(immutability fixed, F10) are core's common rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from training_operator.core.api import limits
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem, ProblemKind
from training_operator.pytorch.api import MASTER, WORKER, spec_of

MAP_KEY = "pytorchReplicaSpecs"
_INTEGER = re.compile(r"[+-]?[0-9]+")
NPROC_DEPRECATED = "spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"


def pytorch_problems(job: JobModel) -> list[FieldProblem]:
    """Replica counts, the Worker an elastic job needs, and the nProcPerNode conflict."""
    spec = spec_of(job)
    found = []
    for replica_type, replica in spec.replica_specs().items():
        if replica is None:
            continue  # core reports the null entry
        path = f"spec.{MAP_KEY}[{replica_type}].replicas"
        if replica_type == MASTER and replica.replicas != 1:
            found.append(FieldProblem(path, ProblemKind.FORBIDDEN, "must be 1"))
        elif replica_type != MASTER and replica.replicas is not None and replica.replicas < 1:
            found.append(FieldProblem(path, ProblemKind.FORBIDDEN, "must be at least 1"))
    elastic = spec.elastic_policy
    if elastic is not None and WORKER not in spec.replica_specs():
        detail = "must be configured if elastic policy is used"
        found.append(FieldProblem(f"spec.{MAP_KEY}[{WORKER}]", ProblemKind.REQUIRED, detail))
    found += _nproc_problems(spec.nproc_per_node)
    deprecated = None if elastic is None else elastic.n_proc_per_node
    # Upstream forbids the pair outright; Kubeflow's own SDK writes both with the same value, and such a job
    # must run (shared/samples), so only disagreeing values are refused (docs/differences/pytorch.md).
    if deprecated is not None and spec.nproc_per_node is not None and str(deprecated) != spec.nproc_per_node:
        detail = (
            f"must not be used with spec.nprocPerNode ({deprecated} vs {spec.nproc_per_node!r}); "
            "set only spec.nprocPerNode"
        )
        found.append(FieldProblem("spec.elasticPolicy.nProcPerNode", ProblemKind.FORBIDDEN, detail))
    return found


def _nproc_problems(nproc_per_node: str | None) -> list[FieldProblem]:
    """An integer `nprocPerNode` is the number of processes torchrun starts per pod: bounded (ours)."""
    if nproc_per_node is None or not _INTEGER.fullmatch(nproc_per_node):
        return []
    if int(nproc_per_node) <= limits.MAX_PROCESSES_PER_POD:
        return []
    return [limits.too_many("spec.nprocPerNode", nproc_per_node, limits.MAX_PROCESSES_PER_POD)]


def pytorch_warnings(job: JobModel) -> Sequence[str]:
    """The deprecation warning for `elasticPolicy.nProcPerNode`, whether or not the job is admitted."""
    elastic = spec_of(job).elastic_policy
    if elastic is not None and elastic.n_proc_per_node is not None:
        return (NPROC_DEPRECATED,)
    return ()
