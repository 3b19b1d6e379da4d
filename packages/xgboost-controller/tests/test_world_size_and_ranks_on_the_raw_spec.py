"""WORLD_SIZE and RANK as upstream computes them from the spec (frameworks.md §4.5): unset `replicas` are
skipped by the sum, and a Worker's rank is shifted past the Master replicas (one when unset)."""

from typing import Any

from training_operator.core.framework import ReplicaRef
from training_operator.xgboost.env import rank, world_size
from training_operator.xgboost.plugin import FRAMEWORK

XG = {"spec": {"containers": [{"name": "xgboost", "image": "xgb:1"}]}}


def parsed(master: int | None, workers: int | None) -> Any:
    specs: dict[str, Any] = {"Master": {"template": XG}, "Worker": {"template": XG}}
    for replica_type, count in (("Master", master), ("Worker", workers)):
        if count is not None:
            specs[replica_type]["replicas"] = count
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "XGBoostJob",
        "metadata": {"name": "x", "namespace": "default"},
        "spec": {"xgbReplicaSpecs": specs},
    }
    return FRAMEWORK.parse(body)


def test_unset_replica_counts_are_skipped_by_the_world_size() -> None:
    assert world_size(parsed(1, None)) == 1
    assert world_size(parsed(None, 3)) == 3
    assert world_size(parsed(1, 3)) == 4


def test_a_workers_rank_follows_the_master_replicas() -> None:
    worker = ReplicaRef("Worker", 1)
    assert rank(parsed(None, 3), worker) == 2
    assert rank(parsed(1, 3), worker) == 2
    assert rank(parsed(2, 3), worker) == 3
    assert rank(parsed(2, 3), ReplicaRef("Master", 1)) == 1
