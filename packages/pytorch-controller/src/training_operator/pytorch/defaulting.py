"""PyTorch's own in-memory defaults (frameworks.md §2.3 steps 4–5), applied after core's common ones.

They stand apart from env construction because the HPA and the env both read the defaulted elastic bounds:
defaulting once keeps `PET_NNODES` and the HPA's min/max from ever disagreeing.
"""

from __future__ import annotations

from training_operator.core.api.job import JobModel
from training_operator.pytorch.api import NPROC_AUTO, WORKER, ElasticPolicy, PyTorchJobSpec, spec_of


def with_pytorch_defaults(job: JobModel) -> JobModel:
    """Elastic min/max bounds, then `nprocPerNode = auto` unless the deprecated elastic field is used."""
    spec = spec_of(job)
    update: dict[str, object] = {}
    if spec.elastic_policy is not None:
        bounded = _bounded(spec.elastic_policy, spec)
        if bounded is not spec.elastic_policy:
            update["elastic_policy"] = bounded
    deprecated_nproc = spec.elastic_policy is not None and spec.elastic_policy.n_proc_per_node is not None
    if spec.nproc_per_node is None and not deprecated_nproc:
        update["nproc_per_node"] = NPROC_AUTO
    return job.with_spec(spec.model_copy(update=update)) if update else job


def _bounded(policy: ElasticPolicy, spec: PyTorchJobSpec) -> ElasticPolicy:
    """Fill whichever bound is missing from the other, or both from the Worker count (§2.3 step 4).

    Upstream dereferences a missing Worker here and crashes; admission rejects that job, and an unvalidated
    one simply keeps unset bounds (the env then falls back to the Worker count, which is also absent).
    """
    low, high = policy.min_replicas, policy.max_replicas
    if low is not None and high is not None:
        return policy
    if high is not None:
        return policy.model_copy(update={"min_replicas": high})
    if low is not None:
        return policy.model_copy(update={"max_replicas": low})
    worker = spec.replica_specs().get(WORKER)
    if worker is None:
        return policy
    replicas = 1 if worker.replicas is None else worker.replicas
    return policy.model_copy(update={"min_replicas": replicas, "max_replicas": replicas})
