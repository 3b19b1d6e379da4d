"""Kubeflow SDK PyTorchJob bodies pass admission and get the torchrun env they ask for.

The bodies are in tests/data, copied verbatim from shared/samples/kubeflow-sdk-wire-format.json.

Covers: the four PyTorchJob samples are all present in the copy and round-trip losslessly from it; each is
admitted (the elastic sample with both nproc fields agreeing only draws the deprecation warning); the
exact operator env of every replica: node ranks 0..n-1 and WORLD_SIZE for Master jobs, the full PET_*
elastic block (endpoint from rdzvHost/rdzvPort, min:max nodes, max restarts, id, conf) for the worker-only
elastic job; the SDK's own env entries stay in front of ours.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from training_operator.core.framework import EngineOptions, ReplicaRef
from training_operator.pytorch.plugin import FRAMEWORK

SAMPLES_FILE = Path(__file__).parent / "data" / "kubeflow_sdk_pytorchjobs.json"
DEPRECATED = "spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"
FN_PT = "create_job_call_0_pytorchjobs_fn-pt"
SINGLE = "create_job_call_2_pytorchjobs_img-pt-single"
E2E = "pytorchjob_e2e_style"
ELASTIC = "pytorchjob_elastic_full"

SAMPLES = {key: entry.get("body", entry) for key, entry in json.loads(SAMPLES_FILE.read_text()).items()}


def test_every_pytorch_sample_was_copied():
    assert sorted(SAMPLES) == [FN_PT, SINGLE, E2E, ELASTIC]


@pytest.mark.parametrize("key", sorted(SAMPLES))
def test_round_trip_is_lossless(key):
    assert FRAMEWORK.parse(copy.deepcopy(SAMPLES[key])).body() == SAMPLES[key]


@pytest.mark.parametrize(
    ("key", "warnings"),
    [
        pytest.param(FN_PT, [], id="fn-pt"),
        pytest.param(SINGLE, [], id="img-pt-single"),
        pytest.param(E2E, [], id="e2e-style"),
        pytest.param(ELASTIC, [DEPRECATED], id="elastic-full-both-nproc-agree"),
    ],
)
def test_admitted(key, warnings):
    job = FRAMEWORK.parse(copy.deepcopy(SAMPLES[key]))
    assert [p.render() for p in FRAMEWORK.problems(job)] == []
    assert list(FRAMEWORK.admission_warnings(job)) == warnings


def pod_env(key: str, replica_type: str, index: int) -> list[tuple[str, str]]:
    job = FRAMEWORK.default(FRAMEWORK.parse(copy.deepcopy(SAMPLES[key])))
    spec = job.replica_specs()[replica_type]
    assert spec is not None
    template: dict[str, Any] = copy.deepcopy(spec.template)
    pod = FRAMEWORK.replica_pod(job, ReplicaRef(replica_type, index), template, options=EngineOptions())
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][0]["env"]]


def master_env(name: str, world: int, rank: int) -> list[tuple[str, str]]:
    return [
        ("PYTHONUNBUFFERED", "1"),
        ("MASTER_PORT", "23456"),
        ("PET_MASTER_PORT", "23456"),
        ("MASTER_ADDR", f"{name}-master-0"),
        ("PET_MASTER_ADDR", f"{name}-master-0"),
        ("WORLD_SIZE", str(world)),
        ("RANK", str(rank)),
        ("PET_NODE_RANK", str(rank)),
        ("PET_NPROC_PER_NODE", "auto"),
        ("PET_NNODES", str(world)),
    ]


FOO = [("FOO", "bar")]  # the SDK sample's own entry, kept in front
ELASTIC_ENV = [
    ("PYTHONUNBUFFERED", "1"),
    ("PET_NPROC_PER_NODE", "2"),
    ("PET_RDZV_ENDPOINT", "elastic-worker-0:29400"),
    ("PET_RDZV_BACKEND", "c10d"),
    ("PET_NNODES", "1:3"),
    ("PET_MAX_RESTARTS", "100"),
    # both nproc fields hold 2: torchrun sees the same value twice, so nothing conflicts
    ("PET_NPROC_PER_NODE", "2"),
    ("PET_RDZV_ID", "abc"),
    ("PET_RDZV_CONF", "timeout=900"),
]


@pytest.mark.parametrize(
    ("key", "replica_type", "index", "expected"),
    [
        pytest.param(FN_PT, "Master", 0, FOO + master_env("fn-pt", 3, 0), id="fn-pt-master-0"),
        pytest.param(FN_PT, "Worker", 0, FOO + master_env("fn-pt", 3, 1), id="fn-pt-worker-0"),
        pytest.param(FN_PT, "Worker", 1, FOO + master_env("fn-pt", 3, 2), id="fn-pt-worker-1"),
        pytest.param(SINGLE, "Master", 0, master_env("img-pt-single", 1, 0), id="single-master-0"),
        pytest.param(E2E, "Master", 0, master_env("pytorchjob-e2e", 2, 0), id="e2e-master-0"),
        pytest.param(E2E, "Worker", 0, master_env("pytorchjob-e2e", 2, 1), id="e2e-worker-0"),
        pytest.param(ELASTIC, "Worker", 0, ELASTIC_ENV, id="elastic-worker-0"),
        pytest.param(ELASTIC, "Worker", 1, ELASTIC_ENV, id="elastic-worker-1"),
    ],
)
def test_pods_get_the_torchrun_env_the_sample_asks_for(key, replica_type, index, expected):
    assert pod_env(key, replica_type, index) == expected
