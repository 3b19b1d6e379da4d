"""The PaddleJob wire model (Kubeflow v1.9.0 `paddlepaddle_types.go`): a v1 job with `paddleReplicaSpecs`.

A job without a Master is collective (every Worker a trainer, Worker 0 the rendezvous); with a Master it is
PS mode (Master 0 the rendezvous). `elasticPolicy` is only defaulted, as upstream: it adds no env
and no HPA (frameworks.md §5.2).
"""

from __future__ import annotations

from typing import Any, ClassVar, Final

from pydantic import Field

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.api.limits import MAX_REPLICAS
from training_operator.core.api.wire import WireModel

KIND: Final = "PaddleJob"

#: parameter servers; their presence switches the job to PS mode
MASTER: Final = "Master"
WORKER: Final = "Worker"
REPLICA_TYPES: Final = (MASTER, WORKER)


class PaddleElasticPolicy(WireModel):
    """Elastic bounds, kept and defaulted for Kubeflow parity; nothing reads them yet (upstream neither)."""

    min_replicas: int | None = Field(default=None, le=MAX_REPLICAS)
    max_replicas: int | None = Field(default=None, le=MAX_REPLICAS)
    max_restarts: int | None = None
    #: autoscaling/v2 MetricSpec objects, carried verbatim
    metrics: list[dict[str, Any]] | None = None


class PaddleJobSpec(JobSpec):
    """A PaddleJob's spec: run policy, the replica map keyed by replica type, the inert elastic policy."""

    replica_map_field: ClassVar[str] = "paddle_replica_specs"
    # required by the CRD; null is let through so validation can name it (common.md §3.2 V4)
    paddle_replica_specs: dict[str, ReplicaSpec | None] | None
    elastic_policy: PaddleElasticPolicy | None = None


class PaddleJob(JobModel):
    """A whole PaddleJob object (`kubeflow.org/v1`)."""

    spec: PaddleJobSpec

    @property
    def ps_mode(self) -> bool:
        """Parameter-server mode: a Master entry (the servers) exists; otherwise the job is collective. It
        decides the rendezvous pod, the role variables and which type's success finishes the job."""
        return MASTER in self.replica_specs()
