"""The env vars every PyTorchJob container gets (frameworks.md §2.5): torchrun's `PET_*` defaults and the
classic `MASTER_*`/`WORLD_SIZE`/`RANK` of `init_process_group(init_method="env://")`.

Pure: a function of the defaulted job and the pod's slot. The list is identical for every container of a pod
(sidecars included) and is appended after the user's own entries (frameworks.md §0.6).
"""

from __future__ import annotations

import re

from training_operator.core.api.job import JobModel
from training_operator.core.engine import naming, ports
from training_operator.core.engine.container_env import EnvVar, env_var
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import ReplicaRef
from training_operator.pytorch.api import MASTER, WORKER, ElasticPolicy, PyTorchJobSpec, spec_of

DEFAULT_CONTAINER = "pytorch"
DEFAULT_PORT_NAME = "pytorchjob-port"
DEFAULT_PORT = 23456
DEFAULT_RDZV_BACKEND = "c10d"
#: `standalone: true`. Upstream writes "" (quirk F8), which torchrun's `bool(int(...))` cannot parse, so
#: no standalone job ever started; torchrun reads "1" as true (docs/differences/pytorch.md).
STANDALONE_VALUE = "1"

# Go's strconv.Atoi: optional sign, ASCII digits only, within int64
_ATOI = re.compile(r"[+-]?[0-9]+")
_INT64 = 2**63


def pytorch_env(job: JobModel, replica: ReplicaRef) -> list[EnvVar]:
    """The entries appended to each container of this pod, in upstream's order (§2.5 table)."""
    spec = spec_of(job)
    entries = [env_var("PYTHONUNBUFFERED", "1")]
    if MASTER in spec.replica_specs():
        entries += _master_block(job, spec, replica)
    if spec.nproc_per_node is not None:
        entries.append(env_var("PET_NPROC_PER_NODE", spec.nproc_per_node))
    if spec.elastic_policy is not None:
        entries += _elastic_block(job, spec, spec.elastic_policy)
    else:
        entries.append(env_var("PET_NNODES", str(total_replicas(spec))))
    return entries


def total_replicas(spec: PyTorchJobSpec) -> int:
    """Nodes in the job: Master plus Workers (an unset count is 1, as after defaulting)."""
    specs = spec.replica_specs().values()
    return sum(1 if r is None or r.replicas is None else r.replicas for r in specs)


def procs_per_node(nproc_per_node: str | None) -> int:
    """`nprocPerNode` as WORLD_SIZE's multiplier: its integer value, else 1 (`auto`, `cpu`, `gpu`, unset)."""
    if nproc_per_node is None or not _ATOI.fullmatch(nproc_per_node):
        return 1
    value = int(nproc_per_node)
    return value if -_INT64 <= value < _INT64 else 1


def master_address(job: JobModel) -> str:
    """The Master's bare service name, resolvable from the job's own namespace (frameworks.md §0.7)."""
    return naming.child_name(job.name, MASTER, 0)


def _master_block(job: JobModel, spec: PyTorchJobSpec, replica: ReplicaRef) -> list[EnvVar]:
    port = str(_port(spec, MASTER))
    address = master_address(job)
    # node rank: the Master is node 0, Workers shift by one (torchrun derives the per-process ranks)
    rank = str(replica.index + 1 if replica.replica_type == WORKER else replica.index)
    world_size = str(total_replicas(spec) * procs_per_node(spec.nproc_per_node))
    return [
        env_var("MASTER_PORT", port),
        env_var("PET_MASTER_PORT", port),
        env_var("MASTER_ADDR", address),
        env_var("PET_MASTER_ADDR", address),
        env_var("WORLD_SIZE", world_size),
        env_var("RANK", rank),
        env_var("PET_NODE_RANK", rank),
    ]


def _elastic_block(job: JobModel, spec: PyTorchJobSpec, policy: ElasticPolicy) -> list[EnvVar]:
    host = policy.rdzv_host or naming.child_name(job.name, WORKER, 0)
    port = policy.rdzv_port if policy.rdzv_port is not None else _port(spec, WORKER)
    entries = [
        env_var("PET_RDZV_ENDPOINT", f"{host}:{port}"),
        env_var("PET_RDZV_BACKEND", policy.rdzv_backend or DEFAULT_RDZV_BACKEND),
        env_var("PET_NNODES", _nnodes(policy)),
    ]
    if policy.max_restarts is not None:
        entries.append(env_var("PET_MAX_RESTARTS", str(policy.max_restarts)))
    if policy.n_proc_per_node is not None:
        entries.append(env_var("PET_NPROC_PER_NODE", str(policy.n_proc_per_node)))
    if policy.rdzv_id is not None:
        entries.append(env_var("PET_RDZV_ID", policy.rdzv_id))
    if policy.rdzv_conf:  # an empty list is treated as absent: upstream crashes on it (quirk F9, fixed)
        conf = ",".join(f"{c.key or ''}={c.value or ''}" for c in policy.rdzv_conf)
        entries.append(env_var("PET_RDZV_CONF", conf))
    if policy.standalone:
        entries.append(env_var("PET_STANDALONE", STANDALONE_VALUE))
    return entries


def _nnodes(policy: ElasticPolicy) -> str:
    """`min:max`. Defaulting fills unset bounds from the Worker count (§2.3 step 4), so both are unset only
    for a job without Workers, which admission rejects: one node then."""
    if policy.min_replicas is not None and policy.max_replicas is not None:
        return f"{policy.min_replicas}:{policy.max_replicas}"
    return "1"


def _port(spec: PyTorchJobSpec, replica_type: str) -> int:
    """The replica type's declared `pytorchjob-port`; missing only when defaulting was bypassed."""
    replica = spec.replica_specs().get(replica_type)
    found = None
    if replica is not None:
        found = ports.container_port(
            replica.template, container=DEFAULT_CONTAINER, port_name=DEFAULT_PORT_NAME
        )
    if found is None:
        detail = f"{replica_type} has no {DEFAULT_PORT_NAME} on container {DEFAULT_CONTAINER}"
        raise ReconcileError(f"port not found: {detail}")
    return found
