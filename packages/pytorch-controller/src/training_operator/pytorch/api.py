"""The PyTorchJob wire model (kubeflow.org/v1; frameworks.md §2.1–§2.2), built on core's shared job shape.

Only the fields PyTorch adds are declared here: the replica map, torchrun's `nprocPerNode` and the elastic
(rendezvous) policy. Everything else (runPolicy, metadata, status) comes from core, so a PyTorchJob parses,
validates and round-trips exactly like every other kind.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.api.limits import MAX_PROCESSES_PER_POD, MAX_REPLICAS
from training_operator.core.api.wire import WireModel

MASTER = "Master"
WORKER = "Worker"
REPLICA_TYPES = (MASTER, WORKER)

#: `spec.nprocPerNode` values torchrun understands besides an integer string
NPROC_AUTO = "auto"
NPROC_CPU = "cpu"
NPROC_GPU = "gpu"


class RdzvConf(WireModel):
    """One extra rendezvous setting, passed to torchrun as `key=value` in `--rdzv_conf`."""

    key: str | None = None
    value: str | None = None


class ElasticPolicy(WireModel):
    """torchrun's elastic (rendezvous) mode; its presence turns elastic mode on (frameworks.md §2.2)."""

    min_replicas: int | None = Field(default=None, le=MAX_REPLICAS)
    max_replicas: int | None = Field(default=None, le=MAX_REPLICAS)
    rdzv_backend: str | None = None
    rdzv_port: int | None = None
    rdzv_host: str | None = None
    rdzv_id: str | None = None
    rdzv_conf: list[RdzvConf] | None = None
    standalone: bool | None = None
    #: deprecated since Kubeflow v1.7 in favour of `spec.nprocPerNode` (admission warns)
    n_proc_per_node: int | None = Field(default=None, le=MAX_PROCESSES_PER_POD)
    max_restarts: int | None = None
    #: autoscaling/v2 MetricSpec objects, carried verbatim into the HPA
    metrics: list[dict[str, Any]] | None = None


class PyTorchJobSpec(JobSpec):
    """`spec` of a PyTorchJob: Master/Worker replicas plus torchrun settings."""

    replica_map_field: ClassVar[str] = "pytorch_replica_specs"
    pytorch_replica_specs: dict[str, ReplicaSpec | None] | None
    elastic_policy: ElasticPolicy | None = None
    #: `auto`, `cpu`, `gpu` or an integer string; not validated upstream, so any string is kept
    nproc_per_node: str | None = None


class PyTorchJob(JobModel):
    """A whole PyTorchJob object."""

    spec: PyTorchJobSpec


def spec_of(job: JobModel) -> PyTorchJobSpec:
    """The job's spec typed as PyTorch's; the plug-in only ever receives jobs it parsed itself."""
    spec = job.spec
    if not isinstance(spec, PyTorchJobSpec):
        raise TypeError(f"expected a PyTorchJob spec, got {type(spec).__name__}")
    return spec
