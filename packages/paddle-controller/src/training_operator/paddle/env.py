"""The environment every PaddleJob container gets (frameworks.md §5.5, v1.9.0 `envvar.go`).

`python -m paddle.distributed.launch` reads it: how many pods take part (PADDLE_NNODES, Masters included),
the job's id, and where the rendezvous pod listens (PADDLE_MASTER). The rendezvous pod (Worker 0 in collective
mode, Master 0 in PS mode) advertises its own pod IP through the downward API, expanded by the kubelet as
`$(POD_IP_DUMMY)`; every other pod uses the rendezvous pod's bare service name.
"""

from __future__ import annotations

from typing import Final

from training_operator.core.engine import naming, ports
from training_operator.core.engine.container_env import EnvVar, env_var
from training_operator.core.framework import KindInfo, ReplicaRef
from training_operator.paddle.api import MASTER, WORKER, PaddleJob

DEFAULT_CONTAINER: Final = "paddle"
#: upstream names the default port `master` on every replica type
DEFAULT_PORT_NAME: Final = "master"
DEFAULT_PORT: Final = 36543
POD_IP: Final = "POD_IP_DUMMY"


def rendezvous_type(job: PaddleJob) -> str:
    """Master in PS mode, Worker in collective mode."""
    return MASTER if job.ps_mode else WORKER


def nodes(job: PaddleJob) -> int:
    """Sum of the set `replicas` over every entry, Masters included."""
    return sum(spec.replicas for spec in job.replica_specs().values() if spec and spec.replicas is not None)


def rendezvous_port(job: PaddleJob, kind: KindInfo) -> int:
    """The rendezvous replica spec's `master` port; upstream falls back to 36543 instead of failing."""
    port = ports.replica_port(job.replica_specs().get(rendezvous_type(job)), kind)
    return DEFAULT_PORT if port is None else port


def paddle_env(job: PaddleJob, replica: ReplicaRef, kind: KindInfo) -> list[EnvVar]:
    """The entries appended to every container of one pod, in upstream's order."""
    leader = rendezvous_type(job)
    port = rendezvous_port(job, kind)
    entries = [
        env_var("PYTHONUNBUFFERED", "1"),
        env_var("PADDLE_JOB_ID", job.name),
        env_var("PADDLE_NNODES", str(nodes(job))),
    ]
    if replica.replica_type == leader and replica.index == 0:
        entries.append({"name": POD_IP, "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}})
        entries.append(env_var("PADDLE_MASTER", f"$({POD_IP}):{port}"))
    else:
        entries.append(env_var("PADDLE_MASTER", f"{naming.child_name(job.name, leader, 0)}:{port}"))
    if job.ps_mode:
        role = "PADDLE_SERVER_NUM" if replica.replica_type == MASTER else "PADDLE_TRAINER_NUM"
        entries.append(env_var(role, "1"))
    return entries
