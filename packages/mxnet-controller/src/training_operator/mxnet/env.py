"""MX_CONFIG and the DMLC_* variables every MXJob container gets (frameworks.md §3.5).

MXNet's parameter-server bootstrap (ps-lite) and BytePS read DMLC_*; the TVM tuning scripts read MX_CONFIG.
Both describe the same cluster, so the DMLC values are derived from the MX_CONFIG structure, as upstream does,
which keeps them identical by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from training_operator.core.engine import gojson, naming, ports
from training_operator.core.engine.container_env import EnvVar, env_var
from training_operator.core.engine.per_job import per_job
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import KindInfo, ReplicaRef
from training_operator.mxnet.api import MXJob

#: pod-template annotation published in MX_CONFIG `labels`; TVM RPC servers register under it
TUNER_SERVER_KEY: Final = "tuner-server-key"
#: upstream's error text (sic), kept so logs and events read the same
PORT_NOT_FOUND: Final = "failed to found the port"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One replica's address in MX_CONFIG: the bare service name and the type's port."""

    url: str
    port: int


Cluster = Mapping[str, tuple[Endpoint, ...]]


@per_job
def cluster(job: MXJob, kind: KindInfo) -> Cluster:
    """Every replica type's endpoints, keyed by lower-case type and sorted (Go marshals maps sorted);
    computed once per job object (every pod of a plan asks), hence immutable."""
    result: dict[str, tuple[Endpoint, ...]] = {}
    for replica_type, spec in sorted(job.replica_specs().items(), key=lambda item: item[0].lower()):
        if spec is None:
            continue
        port = ports.replica_port(spec, kind)
        if port is None:
            raise ReconcileError(PORT_NOT_FOUND)
        count = 1 if spec.replicas is None else spec.replicas
        rt = replica_type.lower()
        result[rt] = tuple(Endpoint(naming.child_name(job.name, rt, i), port) for i in range(count))
    return result


def labels(job: MXJob) -> dict[str, str]:
    """Each type's `tuner-server-key` template annotation, or "" (keys lower-case and sorted)."""
    found: dict[str, str] = {}
    for replica_type, spec in job.replica_specs().items():
        if spec is None:
            continue
        annotations = (spec.template.get("metadata") or {}).get("annotations") or {}
        found[replica_type.lower()] = str(annotations.get(TUNER_SERVER_KEY, ""))
    return dict(sorted(found.items()))


def mx_config(job: MXJob, replica: ReplicaRef, endpoints: Cluster) -> str:
    """The MX_CONFIG JSON: `cluster`, `labels`, `task`, in that order, compact as Go writes it."""
    task = gojson.dumps({"type": replica.rt, "index": replica.index})
    return f'{_shared_part(job, endpoints)},"task":{task}}}'


@per_job
def _shared_part(job: MXJob, endpoints: Cluster) -> str:
    """MX_CONFIG up to its `task`: the same for every pod of the job, so its JSON is made once."""
    document: dict[str, Any] = {
        "cluster": {rt: [{"url": e.url, "port": e.port} for e in found] for rt, found in endpoints.items()},
        "labels": labels(job),
    }
    return gojson.dumps(document)[:-1]  # without its closing brace: the pod's task follows


def env(job: MXJob, replica: ReplicaRef, kind: KindInfo) -> list[EnvVar]:
    """The entries appended to every container of one pod, in upstream's order."""
    endpoints = cluster(job, kind)
    schedulers = endpoints.get("scheduler", ())
    root = schedulers[0] if schedulers else Endpoint("", 0)
    entries = [
        env_var("MX_CONFIG", mx_config(job, replica, endpoints)),
        env_var("DMLC_PS_ROOT_PORT", str(root.port)),
        env_var("DMLC_PS_ROOT_URI", root.url),
        env_var("DMLC_NUM_SERVER", str(len(endpoints.get("server", ())))),
        env_var("DMLC_NUM_WORKER", str(len(endpoints.get("worker", ())))),
        env_var("DMLC_ROLE", replica.rt),
        env_var("DMLC_USE_KUBERNETES", "1"),
    ]
    if replica.rt == "worker":
        # BytePS needs a worker id; ps-lite ignores it
        entries.append(env_var("DMLC_WORKER_ID", str(replica.index)))
    return entries
