"""JAXJob admission (frameworks.md §6.2, acceptance JX-4).

Covers: only `Worker` keys, checked exactly as written; the common container rules with the `jax` container;
a missing replica map; and — unlike upstream, whose JAX webhook skips them (quirk F18, fixed) — the
`managedBy` rules every other kind has: allowed values and immutability on update.
"""

from typing import Any

import pytest

from training_operator.jax.plugin import FRAMEWORK

JX = {"spec": {"containers": [{"name": "jax", "image": "jax:1"}]}}
MANAGERS = '"kubeflow.org/training-operator", "kueue.x-k8s.io/multikueue"'


def jaxjob(specs: Any, **run_policy: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"jaxReplicaSpecs": specs}
    if run_policy:
        spec["runPolicy"] = run_policy
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "JAXJob",
        "metadata": {"name": "jx", "namespace": "default"},
        "spec": spec,
    }


def problems_of(body: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    previous = None if old is None else FRAMEWORK.parse(old)
    return sorted(p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(body), old=previous))


REJECTED = [
    pytest.param(
        {"Master": {"template": JX}},
        ['spec.jaxReplicaSpecs[Master]: Unsupported value: "Master": supported values: "Worker"'],
        id="JX-4-master-key",
    ),
    pytest.param(
        {"Worker": {"template": JX}, "worker": {"template": JX}},
        [
            "spec.jaxReplicaSpecs[worker]: Duplicate value: \"worker\": replica type 'worker' differs from "
            "'Worker' only in case; keep one of them",
            'spec.jaxReplicaSpecs[worker]: Unsupported value: "worker": supported values: "Worker"',
        ],
        id="case-duplicate-keys",
    ),
    pytest.param(
        {"Worker": {"template": {"spec": {"containers": [{"name": "main", "image": "x:1"}]}}}},
        [
            "spec.jaxReplicaSpecs[Worker].template.spec.containers: Required value: "
            "must have at least one container with name jax"
        ],
        id="no-jax-container",
    ),
    pytest.param(
        {"Worker": {"template": {"spec": {"containers": [{"name": "jax"}]}}}},
        ["spec.jaxReplicaSpecs[Worker].template.spec.containers[0].image: Required value: must be required"],
        id="no-image",
    ),
    pytest.param(
        None,
        ["spec.jaxReplicaSpecs: Required value: must be required"],
        id="no-replica-map",
    ),
]


@pytest.mark.parametrize(("specs", "expected"), REJECTED)
def test_rejected_with_upstream_text(specs, expected):
    assert problems_of(jaxjob(specs)) == expected


def test_jx4_unknown_manager_is_rejected_like_every_other_kind():
    assert problems_of(jaxjob({"Worker": {"template": JX}}, managedBy="foo")) == [
        f'spec.runPolicy.managedBy: Unsupported value: "foo": supported values: {MANAGERS}'
    ]


def test_managed_by_is_immutable():
    old = jaxjob({"Worker": {"template": JX}})
    new = jaxjob({"Worker": {"template": JX}}, managedBy="kueue.x-k8s.io/multikueue")
    assert problems_of(new, old) == [
        'spec.runPolicy.managedBy: Invalid value: "kueue.x-k8s.io/multikueue": field is immutable'
    ]


@pytest.mark.parametrize(
    "specs",
    [
        pytest.param({"Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": JX}}, id="JX-1"),
        pytest.param({"Worker": {"replicas": 0, "template": JX}}, id="zero-workers"),
        pytest.param({}, id="empty-map-creates-nothing"),
    ],
)
def test_admitted(specs):
    assert problems_of(jaxjob(specs, managedBy="kubeflow.org/training-operator")) == []
