"""The Rabit / LightGBM environment every XGBoostJob container gets (frameworks.md §4.5, v1.9.0 `xgboost.go`).

The Master runs the Rabit tracker (or is LightGBM's rank 0); every pod learns where it is and its own rank.
WORKER_PORT and WORKER_ADDRS exist for LightGBM, whose example writes a machine list from them.
"""

from __future__ import annotations

from typing import Final

from training_operator.core.engine import naming, ports
from training_operator.core.engine.container_env import EnvVar, env_var
from training_operator.core.engine.per_job import per_job
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import KindInfo, ReplicaRef
from training_operator.xgboost.api import MASTER, WORKER, XGBoostJob

#: upstream's error text (sic), kept so logs and events read the same
PORT_NOT_FOUND: Final = "failed to found the port"


def world_size(job: XGBoostJob) -> int:
    """Sum of the set `replicas` over all entries (unset ones are skipped, as upstream does)."""
    return sum(spec.replicas for spec in job.replica_specs().values() if spec and spec.replicas is not None)


def rank(job: XGBoostJob, replica: ReplicaRef) -> int:
    """The Master's index, or a Worker's index shifted past the Master replicas."""
    if replica.rt != WORKER.lower():
        return replica.index
    master = job.replica_specs().get(MASTER)
    offset = 1 if master is None or master.replicas is None else master.replicas
    return replica.index + offset


def _port(job: XGBoostJob, replica_type: str, kind: KindInfo) -> int:
    port = ports.replica_port(job.replica_specs().get(replica_type), kind)
    if port is None:
        raise ReconcileError(PORT_NOT_FOUND)
    return port


def env(job: XGBoostJob, replica: ReplicaRef, kind: KindInfo) -> list[EnvVar]:
    """The entries appended to every container of one pod, in upstream's order."""
    total = world_size(job)
    entries = [
        env_var("MASTER_PORT", str(_port(job, MASTER, kind))),
        env_var("MASTER_ADDR", naming.child_name(job.name, MASTER, 0)),
        env_var("WORLD_SIZE", str(total)),
        env_var("RANK", str(rank(job, replica))),
        env_var("PYTHONUNBUFFERED", "1"),
    ]
    if total > 1:
        # upstream lists total-1 worker names whatever the Worker count is; with Master fixed at 1 they agree
        entries.append(env_var("WORKER_PORT", str(_port(job, WORKER, kind))))
        entries.append(env_var("WORKER_ADDRS", _worker_addresses(job, total - 1)))
    return entries


@per_job
def _worker_addresses(job: XGBoostJob, count: int) -> str:
    """The comma-separated worker names, the same for every pod: made once per job, not once per pod."""
    return ",".join(naming.child_name(job.name, WORKER, i) for i in range(count))
