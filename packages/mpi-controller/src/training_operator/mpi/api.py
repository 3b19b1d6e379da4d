"""The MPIJob `kubeflow.org/v2beta1` wire model (mpi.md §2), built on core's shared job shapes.

RunPolicy and SchedulingPolicy have exactly core's wire shape, so they are reused as they are. Fields whose
allowed values upstream checks in the controller rather than in the schema (`restartPolicy`,
`mpiImplementation`, `launcherCreationPolicy`) are plain strings here, so a bad value reaches validation
(mpi.md §4) and is reported as a `ValidationError` naming the field, as upstream does, instead of failing
the parse. Unknown fields are kept (WireModel's `extra="allow"`), so round trips are lossless.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.api.limits import MAX_PROCESSES_PER_POD, MAX_REPLICAS

API_VERSION = "kubeflow.org/v2beta1"
KIND = "MPIJob"
LAUNCHER = "Launcher"
#: the container whose exit code counts (KindInfo.default_container)
DEFAULT_CONTAINER = "mpi"
WORKER = "Worker"

#: runPolicy.managedBy values (mpi.md §2.3, §14); anything else means another controller owns the job
MANAGED_BY_MPI_OPERATOR = "kubeflow.org/mpi-operator"
MANAGED_BY_MULTIKUEUE = "kueue.x-k8s.io/multikueue"


class MPIImplementation(StrEnum):
    """`spec.mpiImplementation`: selects the hostfile format and the launcher's environment."""

    OPEN_MPI = "OpenMPI"
    INTEL = "Intel"
    MPICH = "MPICH"


class LauncherCreationPolicy(StrEnum):
    """`spec.launcherCreationPolicy`; any string other than AtStartup waits for ready workers (Q2)."""

    AT_STARTUP = "AtStartup"
    WAIT_FOR_WORKERS_READY = "WaitForWorkersReady"


class MPIReplicaSpec(ReplicaSpec):
    """A Launcher or Worker entry; restartPolicy and replicas are checked by validation, not the schema."""

    replicas: int | None = Field(default=None, le=MAX_REPLICAS)  # ≤ 0 is a validation error (mpi.md §4 #11)
    restart_policy: str | None = None  # type: ignore[assignment]  # Always/ExitCode parse, then are rejected


class MPIJobSpec(JobSpec):
    """`spec` of an MPIJob (mpi.md §2.2)."""

    replica_map_field: ClassVar[str] = "mpi_replica_specs"
    slots_per_worker: int | None = Field(default=None, le=MAX_PROCESSES_PER_POD)
    run_launcher_as_worker: bool | None = None
    mpi_replica_specs: dict[str, MPIReplicaSpec | None] | None = None
    ssh_auth_mount_path: str | None = None
    launcher_creation_policy: str | None = None
    mpi_implementation: str | None = None


class MPIJob(JobModel):
    """A whole MPIJob as stored in the API server."""

    api_version: str = API_VERSION
    kind: str = KIND
    spec: MPIJobSpec

    def replica(self, replica_type: str) -> MPIReplicaSpec | None:
        """The Launcher or Worker entry, if present."""
        return (self.spec.mpi_replica_specs or {}).get(replica_type)

    @property
    def worker_replicas(self) -> int:
        """Desired worker pods: Worker.replicas, 0 without a Worker entry."""
        worker = self.replica(WORKER)
        return 0 if worker is None or worker.replicas is None else max(worker.replicas, 0)

    @property
    def suspended(self) -> bool:
        """runPolicy.suspend, absent meaning false."""
        return bool(self.run_policy.suspend)

    @property
    def launcher_as_worker(self) -> bool:
        """runLauncherAsWorker, absent meaning false."""
        return bool(self.spec.run_launcher_as_worker)
