"""The MXJob wire model (Kubeflow v1.7.0 `mxnet_types.go`): a v1 job with `mxReplicaSpecs` and a `jobMode`."""

from __future__ import annotations

from typing import ClassVar, Final

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec

KIND: Final = "MXJob"

SCHEDULER: Final = "Scheduler"
SERVER: Final = "Server"
WORKER: Final = "Worker"
TUNER_TRACKER: Final = "TunerTracker"
TUNER_SERVER: Final = "TunerServer"
TUNER: Final = "Tuner"

REPLICA_TYPES: Final = (SCHEDULER, SERVER, WORKER, TUNER_TRACKER, TUNER_SERVER, TUNER)
#: only the training types are case-normalised by defaulting; Tuner* keys stay as written (frameworks.md §3.3)
NORMALISED_TYPES: Final = (SCHEDULER, SERVER, WORKER)

#: the two documented `jobMode` values; upstream neither validates nor reads the field, and neither do we
JOB_MODE_TRAIN: Final = "MXTrain"
JOB_MODE_TUNE: Final = "MXTune"


class MXJobSpec(JobSpec):
    """An MXJob's spec: run policy, job mode and the replica map keyed by replica type."""

    replica_map_field: ClassVar[str] = "mx_replica_specs"
    # required by the CRD, but any string is accepted (frameworks.md §3.2)
    job_mode: str
    mx_replica_specs: dict[str, ReplicaSpec | None] | None


class MXJob(JobModel):
    """A whole MXJob object (`kubeflow.org/v1`)."""

    spec: MXJobSpec
