"""Upper bounds on every number in a job that sizes the work the operator and the node must do.

Kubernetes bounds its own workload APIs for the same reason (an Indexed Job has at most 100,000 completions);
Kubeflow's CRDs bound nothing, so a typo such as `replicas: 2147483648` used to make the planner build two
billion pods in memory. The numbers and why they are what they are (docs/run-policy-and-status.md, "Limits"):

* `MAX_REPLICAS` — replicas of one job, per replica type (in the CRD schema) and summed over the types (here,
  for the webhook, the SDK, the CLI and the planner). TensorFlow's TF_CONFIG and MXNet's MX_CONFIG list every
  replica in every pod, so one plan grows with the square of the count: 2,048 replicas cost about 150 MB and a
  TF_CONFIG of about 80 KB per pod, both comfortably below the operator's memory and the API server's 1.5 MiB
  object limit; 10,000 would need several GB.
* `MAX_PROCESSES_PER_POD` — processes one pod starts (`slotsPerWorker`, `nprocPerNode`): the largest machines
  have a few hundred cores, and the MPI hostfile and WORLD_SIZE multiply by it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from training_operator.core.api.problems import FieldProblem, ProblemKind

MAX_REPLICAS = 2048
MAX_PROCESSES_PER_POD = 1024


class _Counted(Protocol):
    @property
    def replicas(self) -> int | None:
        """Pods of this replica type (None: the default of 1)."""


def total_replicas(specs: Mapping[str, _Counted | None]) -> int:
    """Pods the replica map asks for, an unset count counting as 1 (the default)."""
    return sum(
        1 if spec is None or spec.replicas is None else max(spec.replicas, 0) for spec in specs.values()
    )


def replica_problems(specs: Mapping[str, _Counted | None], map_key: str) -> list[FieldProblem]:
    """The replica count of each type, and of all types together, within `MAX_REPLICAS`."""
    found = [
        too_many(f"spec.{map_key}[{replica_type}].replicas", spec.replicas, MAX_REPLICAS)
        for replica_type, spec in specs.items()
        if spec is not None and spec.replicas is not None and spec.replicas > MAX_REPLICAS
    ]
    total = total_replicas(specs)
    if not found and total > MAX_REPLICAS:
        detail = f"the replicas of all replica types add up to {total}, more than {MAX_REPLICAS} per job"
        found.append(FieldProblem(f"spec.{map_key}", ProblemKind.INVALID, detail, value=total))
    return found


def too_many(path: str, value: Any, limit: int) -> FieldProblem:
    """`<path>: Invalid value: N: must be less than or equal to <limit>`, as Kubernetes words it."""
    return FieldProblem(path, ProblemKind.INVALID, f"must be less than or equal to {limit}", value=value)
