"""TF_CONFIG, the one env var a TFJob pod gets (frameworks.md §1.5, v1.9.0 `tensorflow.go`).

Dense form: every replica type's addresses, the pod's own task and `"environment":"cloud"`. Sparse form
(`enableDynamicWorker`): a worker sees only itself and every PS, a PS only itself, anyone else nothing, and
a worker of a PS-less job gets `"ps":null` (quirk F2, replicated). Only *distributed* jobs get it at all,
and only the first container named `tensorflow` receives it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from training_operator.core.engine import gojson, naming, ports
from training_operator.core.engine.container_env import env_var
from training_operator.core.engine.per_job import per_job
from training_operator.core.framework import KindInfo, ReplicaRef
from training_operator.tf.api import PS, REPLICA_TYPES, WORKER, TFJob

ENV_NAME: Final = "TF_CONFIG"
#: the legacy `environment` field of the dense form (TF <= 1.3 read it)
ENVIRONMENT: Final = "cloud"

ClusterSpec = Mapping[str, Sequence[str]]


def is_distributed(job: TFJob) -> bool:
    """The known types' replicas (unset counts 1) do not add up to exactly 1; unknown types do not count."""
    specs = job.replica_specs()
    total = 0
    for replica_type in REPLICA_TYPES:
        if replica_type in specs:
            spec = specs[replica_type]
            total += 1 if spec is None or spec.replicas is None else spec.replicas
    return total != 1


def address(job: TFJob, replica_type: str, index: int, port: int, cluster_domain: str) -> str:
    """`<name>-<rt>-<i>.<ns>.svc[.<domain>]:<port>`."""
    host = f"{naming.child_name(job.name, replica_type, index)}.{job.namespace}.svc"
    if cluster_domain:
        host = f"{host}.{cluster_domain}"
    return f"{host}:{port}"


def cluster_spec(job: TFJob, kind: KindInfo, cluster_domain: str) -> ClusterSpec:
    """Every replica type (unknown ones too) → its addresses by index, keys sorted as Go sorts map keys;
    computed once per job object (every pod of a plan asks), hence immutable."""
    return _cluster(job, kind, cluster_domain)[0]


@per_job
def _cluster(job: TFJob, kind: KindInfo, cluster_domain: str) -> tuple[ClusterSpec, str]:
    """The cluster spec and its JSON, which every pod of a dense job embeds unchanged."""
    cluster: dict[str, tuple[str, ...]] = {}
    for replica_type, spec in job.replica_specs().items():
        if spec is None:
            continue
        port = ports.replica_port(spec, kind) or kind.default_port or 0
        count = spec.replicas if spec.replicas is not None else 1
        cluster[replica_type.lower()] = tuple(
            address(job, replica_type, i, port, cluster_domain) for i in range(count)
        )
    ordered = dict(sorted(cluster.items()))
    return ordered, gojson.dumps(ordered)


def dense_config(cluster: ClusterSpec, replica: ReplicaRef) -> dict[str, Any]:
    """`{"cluster":…,"task":{"type":…,"index":…},"environment":"cloud"}`."""
    return {"cluster": cluster, "task": _task(replica), "environment": ENVIRONMENT}


def sparse_config(cluster: ClusterSpec, replica: ReplicaRef) -> dict[str, Any]:
    """`{"cluster":{"worker":{…},"ps":[…]},"task":…}` as seen by one pod of a dynamic-worker job."""
    worker: dict[str, str] = {}
    ps: Sequence[str] | None = []
    if replica.rt == PS.lower():
        ps = [cluster[replica.rt][replica.index]]
    elif replica.rt == WORKER.lower():
        ps = cluster.get(PS.lower())  # None when the job has no PS spec: `"ps":null`
        worker = {str(replica.index): cluster[replica.rt][replica.index]}
    return {"cluster": {"worker": worker, "ps": ps}, "task": _task(replica)}


def _task(replica: ReplicaRef) -> dict[str, Any]:
    return {"type": replica.rt, "index": replica.index}


def tf_config(job: TFJob, replica: ReplicaRef, kind: KindInfo, cluster_domain: str = "") -> str | None:
    """The TF_CONFIG value for one pod, or None when the job is not distributed."""
    if not is_distributed(job):
        return None
    cluster, cluster_json = _cluster(job, kind, cluster_domain)
    if job.spec.enable_dynamic_worker:
        return gojson.dumps(sparse_config(cluster, replica))
    # gojson.dumps(dense_config(cluster, replica)), with the cluster's JSON made once for all pods
    task = gojson.dumps(_task(replica))
    return f'{{"cluster":{cluster_json},"task":{task},"environment":{gojson.dumps(ENVIRONMENT)}}}'


def with_tf_config(pod: dict[str, Any], value: str, container_name: str) -> dict[str, Any]:
    """Append TF_CONFIG to the first container named `container_name` only (mutated and returned)."""
    containers: list[Mapping[str, Any]] = (pod.get("spec") or {}).get("containers") or []
    for container in containers:
        if isinstance(container, dict) and container.get("name") == container_name:
            container["env"] = [*(container.get("env") or []), env_var(ENV_NAME, value)]
            break
    return pod
