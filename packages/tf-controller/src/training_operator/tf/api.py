"""The TFJob wire model (Kubeflow v1.9.0 `tensorflow_types.go`): a v1 job with `tfReplicaSpecs`."""

from __future__ import annotations

from typing import ClassVar, Final

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec

KIND: Final = "TFJob"

CHIEF: Final = "Chief"
EVALUATOR: Final = "Evaluator"
#: a synonym of Chief, kept by upstream for backward compatibility
MASTER: Final = "Master"
PS: Final = "PS"
WORKER: Final = "Worker"
#: the canonical types, in upstream's declaration and case-normalisation order
REPLICA_TYPES: Final = (PS, WORKER, CHIEF, MASTER, EVALUATOR)
#: the types that lead the job when present; at most one of them is admitted
CHIEF_TYPES: Final = (CHIEF, MASTER)

#: `successPolicy` values: the default (worker 0 decides) and "every worker must succeed"
SUCCESS_POLICY_DEFAULT: Final = ""
SUCCESS_POLICY_ALL_WORKERS: Final = "AllWorkers"


class TFJobSpec(JobSpec):
    """A TFJob's spec: run policy, success policy, dynamic-worker switch and the replica map."""

    replica_map_field: ClassVar[str] = "tf_replica_specs"
    # required by the CRD; null is let through so validation can name it (common.md §3.2 V4)
    tf_replica_specs: dict[str, ReplicaSpec | None] | None
    #: "" or "AllWorkers"; no enum, any other value behaves like ""
    success_policy: str | None = None
    #: sparse TF_CONFIG and tolerance of Worker failures
    enable_dynamic_worker: bool | None = None


class TFJob(JobModel):
    """A whole TFJob object (`kubeflow.org/v1`)."""

    spec: TFJobSpec
