"""The XGBoostJob wire model (Kubeflow v1.9.0 `xgboost_types.go`): a v1 job with `xgbReplicaSpecs`."""

from __future__ import annotations

from typing import ClassVar, Final

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec

KIND: Final = "XGBoostJob"

#: the Rabit tracker / LightGBM rank 0; exactly one
MASTER: Final = "Master"
WORKER: Final = "Worker"
REPLICA_TYPES: Final = (MASTER, WORKER)


class XGBoostJobSpec(JobSpec):
    """An XGBoostJob's spec: run policy and the replica map keyed by replica type."""

    replica_map_field: ClassVar[str] = "xgb_replica_specs"
    # required by the CRD; null is let through so validation can name it (common.md §3.2 V4)
    xgb_replica_specs: dict[str, ReplicaSpec | None] | None


class XGBoostJob(JobModel):
    """A whole XGBoostJob object (`kubeflow.org/v1`)."""

    spec: XGBoostJobSpec
