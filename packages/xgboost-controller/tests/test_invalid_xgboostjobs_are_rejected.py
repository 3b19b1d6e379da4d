"""XGBoostJob admission (frameworks.md §4.4, acceptance XG-5).

Covers: a Master is required; Master `replicas` must be written out and equal 1 (validation precedes
defaulting, quirk F6); only `Master` and `Worker` keys, checked exactly as written (no case folding, so
`master` gets two errors); any Worker count, 0 included, is admitted; the common container rules apply.
"""

from typing import Any

import pytest

from training_operator.xgboost.plugin import FRAMEWORK

XG = {"spec": {"containers": [{"name": "xgboost", "image": "xgb:1"}]}}
SUPPORTED = 'supported values: "Master", "Worker"'


def xgboostjob(specs: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "XGBoostJob",
        "metadata": {"name": "xgb", "namespace": "default"},
        "spec": {"xgbReplicaSpecs": specs},
    }


def problems_of(body: dict[str, Any]) -> list[str]:
    return sorted(p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(body)))


REJECTED = [
    pytest.param(
        {"Worker": {"replicas": 2, "template": XG}},
        ["spec.xgbReplicaSpecs[Master]: Required value: must be present"],
        id="XG-5-worker-only",
    ),
    pytest.param(
        {"Master": {"replicas": 2, "template": XG}},
        ["spec.xgbReplicaSpecs[Master].replicas: Forbidden: must be 1"],
        id="XG-5-two-masters",
    ),
    pytest.param(
        {"Master": {"template": XG}},
        ["spec.xgbReplicaSpecs[Master].replicas: Forbidden: must be 1"],
        id="XG-5-master-replicas-unset",
    ),
    pytest.param(
        {"master": {"replicas": 1, "template": XG}},
        [
            "spec.xgbReplicaSpecs[Master]: Required value: must be present",
            f'spec.xgbReplicaSpecs[master]: Unsupported value: "master": {SUPPORTED}',
        ],
        id="XG-5-lower-case-master",
    ),
    pytest.param(
        {},
        ["spec.xgbReplicaSpecs[Master]: Required value: must be present"],
        id="empty-replica-map",
    ),
    pytest.param(
        None,
        ["spec.xgbReplicaSpecs: Required value: must be required"],
        id="null-replica-map",
    ),
    pytest.param(
        {"Master": {"replicas": 1, "template": XG}, "PS": {"template": XG}},
        [f'spec.xgbReplicaSpecs[PS]: Unsupported value: "PS": {SUPPORTED}'],
        id="unknown-replica-type",
    ),
    pytest.param(
        {"Master": {"replicas": 1, "template": {"spec": {"containers": [{"name": "main", "image": "x"}]}}}},
        [
            "spec.xgbReplicaSpecs[Master].template.spec.containers: Required value: "
            "must have at least one container with name xgboost"
        ],
        id="no-xgboost-container",
    ),
]


@pytest.mark.parametrize(("specs", "expected"), REJECTED)
def test_rejected(specs, expected):
    assert problems_of(xgboostjob(specs)) == expected


@pytest.mark.parametrize(
    "worker",
    [
        pytest.param({"replicas": 0, "template": XG}, id="zero-workers"),
        pytest.param({"replicas": 5, "template": XG}, id="five-workers"),
        pytest.param({"template": XG}, id="worker-replicas-unset"),
    ],
)
def test_any_worker_count_is_admitted(worker):
    assert problems_of(xgboostjob({"Master": {"replicas": 1, "template": XG}, "Worker": worker})) == []
