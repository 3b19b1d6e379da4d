"""The JAXJob wire model (Kubeflow v1.9.0 `jax_types.go`): a v1 job with `jaxReplicaSpecs`, Workers only."""

from __future__ import annotations

from typing import ClassVar, Final

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec

KIND: Final = "JAXJob"

#: every JAX process is a Worker; worker-0 hosts the coordinator
WORKER: Final = "Worker"
REPLICA_TYPES: Final = (WORKER,)


class JAXJobSpec(JobSpec):
    """A JAXJob's spec: run policy and the replica map keyed by replica type."""

    replica_map_field: ClassVar[str] = "jax_replica_specs"
    # required by the CRD; null is let through so validation can name it (common.md §3.2 V4)
    jax_replica_specs: dict[str, ReplicaSpec | None] | None


class JAXJob(JobModel):
    """A whole JAXJob object (`kubeflow.org/v1`)."""

    spec: JAXJobSpec
