"""Env edge cases beyond the acceptance cases (frameworks.md §2.3, §2.5).

Covers: an empty `rdzvConf` list is omitted instead of crashing the reconcile (quirk F9, fixed);
`standalone: false` adds nothing; one elastic bound fills the other; an elastic job with a Master gets both
the Master block and the elastic block; WORLD_SIZE multiplies by `nprocPerNode` only when Go's Atoi accepts
it (sign yes, spaces no); a Master spec without a `pytorchjob-port` on its `pytorch` container fails the pod
with a reconcile error instead of advertising a guessed port.
"""

from typing import Any

import pytest

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, ReplicaRef
from training_operator.pytorch.plugin import FRAMEWORK

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def pytorchjob(name: str, specs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


def env_of(pod: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][0].get("env") or []]


def master_and_workers(workers: int) -> dict[str, Any]:
    return {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": workers, "template": PT}}


@pytest.mark.parametrize(
    ("elastic", "endpoint", "nnodes"),
    [
        pytest.param({"rdzvConf": []}, "el-worker-0:23456", "2:2", id="F9-empty-rdzv-conf-omitted"),
        pytest.param({"standalone": False}, "el-worker-0:23456", "2:2", id="standalone-false-omitted"),
        pytest.param({"minReplicas": 1, "rdzvPort": 29400}, "el-worker-0:29400", "1:1", id="min-fills-max"),
        pytest.param({"maxReplicas": 5, "rdzvHost": "h"}, "h:23456", "5:5", id="max-fills-min"),
    ],
)
def test_elastic_env_without_optional_entries(pod_of, elastic, endpoint, nnodes):
    body = pytorchjob("el", {"Worker": {"replicas": 2, "template": PT}}, elasticPolicy=elastic)
    assert env_of(pod_of(body, "Worker", 0)) == [
        ("PYTHONUNBUFFERED", "1"),
        ("PET_NPROC_PER_NODE", "auto"),
        ("PET_RDZV_ENDPOINT", endpoint),
        ("PET_RDZV_BACKEND", "c10d"),
        ("PET_NNODES", nnodes),
    ]


def test_elastic_job_with_a_master_gets_both_blocks(pod_of):
    body = pytorchjob("mix", master_and_workers(3), elasticPolicy={"maxReplicas": 5})
    assert env_of(pod_of(body, "Worker", 2)) == [
        ("PYTHONUNBUFFERED", "1"),
        ("MASTER_PORT", "23456"),
        ("PET_MASTER_PORT", "23456"),
        ("MASTER_ADDR", "mix-master-0"),
        ("PET_MASTER_ADDR", "mix-master-0"),
        ("WORLD_SIZE", "4"),
        ("RANK", "3"),
        ("PET_NODE_RANK", "3"),
        ("PET_NPROC_PER_NODE", "auto"),
        ("PET_RDZV_ENDPOINT", "mix-worker-0:23456"),
        ("PET_RDZV_BACKEND", "c10d"),
        ("PET_NNODES", "5:5"),
    ]


@pytest.mark.parametrize(
    ("nproc", "world_size"),
    [
        pytest.param("4", "12", id="integer"),
        pytest.param("+2", "6", id="go-atoi-accepts-a-sign"),
        pytest.param(" 2", "3", id="go-atoi-rejects-spaces"),
        pytest.param("2_0", "3", id="go-atoi-rejects-underscores"),
        pytest.param("cpu", "3", id="cpu"),
        pytest.param("auto", "3", id="auto"),
    ],
)
def test_world_size_multiplies_nodes_by_an_integer_nproc_only(pod_of, nproc, world_size):
    body = pytorchjob("ws", master_and_workers(2), nprocPerNode=nproc)
    env = dict(env_of(pod_of(body, "Master", 0)))
    assert (env["WORLD_SIZE"], env["PET_NPROC_PER_NODE"]) == (world_size, nproc)


def test_a_master_without_its_port_fails_the_pod(defaulted):
    no_pytorch = {"spec": {"containers": [{"name": "main", "image": "pt:1"}]}}
    body = pytorchjob(
        "np", {"Master": {"replicas": 1, "template": no_pytorch}, "Worker": {"replicas": 1, "template": PT}}
    )
    job = defaulted(body)  # defaulting puts the port on container 0 ("main"), not on a "pytorch" container
    pod = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
    with pytest.raises(ReconcileError, match="port not found"):
        FRAMEWORK.replica_pod(job, ReplicaRef("Worker", 0), pod, options=EngineOptions())
