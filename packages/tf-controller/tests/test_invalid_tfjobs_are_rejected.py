"""TFJob admission (frameworks.md §1.4, acceptance TF-10; common.md §21 cases 9 and 10).

Covers: Chief and Master together are Forbidden, counted by exact key (so `chief` + `Master` passes, quirk
replicated); a `tensorflow` container is required; an empty container list gives two errors at the same path;
an empty image; an invalid job name; a null replica map; unknown types, lower-case keys, Chief with two
replicas and any successPolicy value are admitted.
"""

from typing import Any

import pytest

from training_operator.tf.plugin import FRAMEWORK

TF = {"spec": {"containers": [{"name": "tensorflow", "image": "tf:1"}]}}
CONTAINERS = "spec.tfReplicaSpecs[Worker].template.spec.containers"
NO_TENSORFLOW = f"{CONTAINERS}: Required value: must have at least one container with name tensorflow"


def tfjob(specs: Any, name: str = "tf", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"tfReplicaSpecs": specs, **spec},
    }


def template(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": list(containers)}}


def problems_of(body: dict[str, Any]) -> list[str]:
    return sorted(p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(body)))


REJECTED = [
    pytest.param(
        tfjob({"Chief": {"template": TF}, "Master": {"template": TF}, "Worker": {"template": TF}}),
        ["spec.tfReplicaSpecs: Forbidden: must not have more than 1 Chief or Master role"],
        id="TF-10-case-10-chief-and-master",
    ),
    pytest.param(
        tfjob({"Worker": {"template": template({"name": "main", "image": "x"})}}),
        [NO_TENSORFLOW],
        id="TF-10-no-tensorflow-container",
    ),
    pytest.param(
        tfjob({"Worker": {"template": template()}}),
        [f"{CONTAINERS}: Required value: must be specified", NO_TENSORFLOW],
        id="TF-10-case-9-empty-containers",
    ),
    pytest.param(
        tfjob({"Worker": {"template": template({"name": "tensorflow", "image": ""})}}),
        [f"{CONTAINERS}[0].image: Required value: must be required"],
        id="case-9-empty-image",
    ),
    pytest.param(
        tfjob(None),
        ["spec.tfReplicaSpecs: Required value: must be required"],
        id="null-replica-map",
    ),
]


@pytest.mark.parametrize(("body", "expected"), REJECTED)
def test_rejected(body, expected):
    assert problems_of(body) == expected


def test_tf10_invalid_name():
    (problem,) = problems_of(tfjob({"Worker": {"template": TF}}, name="00test"))
    assert problem.startswith('metadata.name: Invalid value: "00test": should match: ')


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(tfjob({"Foo": {"template": TF}}), id="TF-10-unknown-type"),
        pytest.param(
            tfjob({"worker": {"replicas": 2, "template": TF}, "ps": {"template": TF}}), id="lower-case"
        ),
        pytest.param(
            tfjob({"chief": {"template": TF}, "Master": {"template": TF}}), id="chief-lower-plus-master"
        ),
        pytest.param(tfjob({"Chief": {"replicas": 2, "template": TF}}), id="two-chiefs"),
        pytest.param(tfjob({"Worker": {"template": TF}}, successPolicy="Whatever"), id="any-success-policy"),
        pytest.param(tfjob({}), id="empty-replica-map"),
    ],
)
def test_admitted(body):
    assert problems_of(body) == []
