"""The coordinator environment every JAXJob container gets (frameworks.md §6.3, v1.9.0 `envvar.go`).

`jax.distributed.initialize()` reads exactly these: worker-0 runs the coordinator service on
COORDINATOR_ADDRESS:COORDINATOR_PORT, and each process says who it is (PROCESS_ID) out of how many
(NUM_PROCESSES).
"""

from __future__ import annotations

from typing import Final

from training_operator.core.engine import naming, ports
from training_operator.core.engine.container_env import EnvVar, env_var
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import KindInfo, ReplicaRef
from training_operator.jax.api import WORKER, JAXJob

#: upstream's error text, kept so logs and events read the same
PORT_NOT_EXPOSED: Final = "default container port is not exposed"


def num_processes(job: JAXJob) -> int:
    """Sum of the set `replicas` over all entries (after defaulting every entry has one)."""
    return sum(spec.replicas for spec in job.replica_specs().values() if spec and spec.replicas is not None)


def coordinator_port(job: JAXJob, kind: KindInfo) -> int:
    """The Worker spec's `jaxjob-port` on its `jax` container; a reconcile error when it is not declared."""
    port = ports.replica_port(job.replica_specs().get(WORKER), kind)
    if port is None:
        raise ReconcileError(PORT_NOT_EXPOSED)
    return port


def env(job: JAXJob, replica: ReplicaRef, kind: KindInfo) -> list[EnvVar]:
    """The entries appended to every container of one pod, in upstream's order."""
    return [
        env_var("PYTHONUNBUFFERED", "1"),
        env_var("COORDINATOR_PORT", str(coordinator_port(job, kind))),
        env_var("COORDINATOR_ADDRESS", naming.child_name(job.name, WORKER, 0)),
        env_var("NUM_PROCESSES", str(num_processes(job))),
        env_var("PROCESS_ID", str(replica.index)),
    ]
