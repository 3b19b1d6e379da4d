"""In-memory defaults of an MPIJob (mpi.md §3): applied to a copy at the start of every plan, never stored.

They differ from the v1 kinds' common defaults (Worker replicas default to 0, not 1; the launcher restarts
OnFailure), which is why MPIJob does not use `ReplicatedFramework.default`.
"""

from __future__ import annotations

from typing import Any

from training_operator.core.api.common import CleanPodPolicy, RestartPolicy, RunPolicy
from training_operator.mpi.api import (
    LAUNCHER,
    WORKER,
    LauncherCreationPolicy,
    MPIImplementation,
    MPIJob,
    MPIReplicaSpec,
)

DEFAULT_SSH_AUTH_MOUNT_PATH = "/root/.ssh"
DEFAULT_SLOTS_PER_WORKER = 1


def defaulted(job: MPIJob) -> MPIJob:
    """The job with §3's seven rules applied, in upstream's order."""
    run_policy = job.spec.run_policy or RunPolicy()
    spec_update: dict[str, Any] = {}
    if run_policy.clean_pod_policy is None:
        spec_update["run_policy"] = run_policy.model_copy(update={"clean_pod_policy": CleanPodPolicy.NONE})
    spec = job.spec
    if spec.slots_per_worker is None:
        spec_update["slots_per_worker"] = DEFAULT_SLOTS_PER_WORKER
    if not spec.ssh_auth_mount_path:
        spec_update["ssh_auth_mount_path"] = DEFAULT_SSH_AUTH_MOUNT_PATH
    if not spec.mpi_implementation:
        spec_update["mpi_implementation"] = MPIImplementation.OPEN_MPI.value
    if not spec.launcher_creation_policy:
        spec_update["launcher_creation_policy"] = LauncherCreationPolicy.AT_STARTUP.value
    if spec.mpi_replica_specs is not None:
        replicas = dict(spec.mpi_replica_specs)
        for replica_type, restart, count in (
            (LAUNCHER, RestartPolicy.ON_FAILURE, 1),
            (WORKER, RestartPolicy.NEVER, 0),
        ):
            if replicas.get(replica_type) is not None:
                replicas[replica_type] = _replica_defaulted(replicas[replica_type], restart, count)
        spec_update["mpi_replica_specs"] = replicas
    return job.model_copy(update={"spec": spec.model_copy(update=spec_update)})


def _replica_defaulted(
    spec: MPIReplicaSpec | None, restart: RestartPolicy, replicas: int
) -> MPIReplicaSpec | None:
    if spec is None:
        return None
    update: dict[str, Any] = {}
    if not spec.restart_policy:
        update["restart_policy"] = restart.value
    if spec.replicas is None:
        update["replicas"] = replicas
    return spec.model_copy(update=update) if update else spec
