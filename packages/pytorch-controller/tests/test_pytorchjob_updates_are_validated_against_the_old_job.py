"""Admission of PyTorchJob updates compares with the stored job (frameworks.md §2.4 quirk F10, fixed).

Covers: changing `spec.runPolicy.managedBy` on update (value→value, unset→value, value→unset) is rejected with
`Invalid value: …: field is immutable` (upstream validated the new object against itself, so the rule never
fired for PyTorchJob); an update that keeps managedBy, or edits other fields such as the Worker count, is
admitted; on create an unknown managedBy is rejected as an Unsupported value.
"""

import copy
from typing import Any

import pytest

from training_operator.pytorch.plugin import FRAMEWORK

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
KUBEFLOW = "kubeflow.org/training-operator"
KUEUE = "kueue.x-k8s.io/multikueue"
PATH = "spec.runPolicy.managedBy"


def pytorchjob(managed_by: str | None = None, workers: int = 2) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "pytorchReplicaSpecs": {
            "Master": {"replicas": 1, "template": PT},
            "Worker": {"replicas": workers, "template": PT},
        }
    }
    if managed_by is not None:
        spec["runPolicy"] = {"managedBy": managed_by}
    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "j"}, "spec": spec}


def update_problems(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    parsed_old, parsed_new = FRAMEWORK.parse(copy.deepcopy(old)), FRAMEWORK.parse(copy.deepcopy(new))
    return [p.render() for p in FRAMEWORK.problems(parsed_new, old=parsed_old)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            KUBEFLOW, KUEUE, f'{PATH}: Invalid value: "{KUEUE}": field is immutable', id="value-to-value"
        ),
        pytest.param(
            None, KUEUE, f'{PATH}: Invalid value: "{KUEUE}": field is immutable', id="unset-to-value"
        ),
        pytest.param(KUEUE, None, f"{PATH}: Invalid value: null: field is immutable", id="value-to-unset"),
    ],
)
def test_changing_managed_by_is_rejected(old, new, expected):
    assert update_problems(pytorchjob(old), pytorchjob(new)) == [expected]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param(pytorchjob(KUEUE), pytorchjob(KUEUE, workers=4), id="same-managed-by-more-workers"),
        pytest.param(pytorchjob(), pytorchjob(workers=4), id="unset-stays-unset"),
    ],
)
def test_other_edits_are_admitted(old, new):
    assert update_problems(old, new) == []


def test_unknown_managed_by_is_unsupported_on_create():
    (problem,) = [p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(pytorchjob("someone/else")))]
    assert problem.startswith(f'{PATH}: Unsupported value: "someone/else": supported values: ')
    assert f'"{KUBEFLOW}"' in problem
    assert f'"{KUEUE}"' in problem
