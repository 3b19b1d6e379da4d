"""PaddleJob admission rules (frameworks.md §5.4, PD-5), on the raw job as the webhook sees it.

Covers: an unknown replica type, a template without a container named `paddle` (the name quoted, as Paddle's
webhook words it), a null replica map, an empty container list (two errors at one path), and that several
Masters or an unset `replicas` are admitted (Paddle has no replica-count rule).
"""

from typing import Any

import pytest

from training_operator.paddle.plugin import FRAMEWORK

PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}


def rendered(specs: Any) -> list[str]:
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PaddleJob",
        "metadata": {"name": "p"},
        "spec": {"paddleReplicaSpecs": specs},
    }
    return [problem.render() for problem in FRAMEWORK.problems(FRAMEWORK.parse(body))]


@pytest.mark.parametrize(
    ("specs", "expected"),
    [
        pytest.param(
            {"PS": {"template": PD}},
            ['spec.paddleReplicaSpecs[PS]: Unsupported value: "PS": supported values: "Master", "Worker"'],
            id="unknown-type",
        ),
        pytest.param(
            {"Worker": {"template": {"spec": {"containers": [{"name": "main", "image": "pd:1"}]}}}},
            [
                "spec.paddleReplicaSpecs[Worker].template.spec.containers: Required value: "
                'must have at least one container with name "paddle"'
            ],
            id="no-paddle-container",
        ),
        pytest.param(None, ["spec.paddleReplicaSpecs: Required value: must be required"], id="null-map"),
        pytest.param(
            {"Worker": {"template": {"spec": {"containers": []}}}},
            [
                "spec.paddleReplicaSpecs[Worker].template.spec.containers: Required value: must be specified",
                "spec.paddleReplicaSpecs[Worker].template.spec.containers: Required value: "
                'must have at least one container with name "paddle"',
            ],
            id="no-containers",
        ),
    ],
)
def test_pd5_bad_jobs_are_refused_naming_the_field(specs: Any, expected: list[str]):
    assert rendered(specs) == expected


def test_several_masters_and_unset_replicas_are_admitted():
    assert rendered({"Master": {"replicas": 3, "template": PD}, "Worker": {"template": PD}}) == []
