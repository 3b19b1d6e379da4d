"""Server-side apply of custom resources, as a real API server does it for a CRD's schema.

Covers: an apply creates the object and records its manager (`managedFields`, operation Apply, FieldsV1);
`fieldManager` is required and the body must name apiVersion and kind (400); a field the manager applied
before and leaves out is removed (a merge patch would keep it); a field another manager set (an Update,
named by `fieldManager` or the User-Agent) with a different value is a 409 Conflict naming field and owner,
which `force=true` takes over; the same value is shared, and stays when one owner lets go; lists are atomic;
an apply that changes nothing writes nothing; status is not applied.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the CRD the custom-resource tests define

from test_custom_resources import CRDS, JOBS, a_trainjob, trainjob_crd

APPLY = "application/apply-patch+yaml"


@pytest.fixture
def crd_api(api):
    assert api.post(CRDS, trainjob_crd())[0] == 201
    return api


def apply(api, body, manager="mine", **params):
    name = body["metadata"]["name"]
    return api.patch(f"{JOBS}/{name}", body, content_type=APPLY, fieldManager=manager, **params)


def owners(body) -> dict[tuple[str, str], dict]:
    return {(e["manager"], e["operation"]): e["fieldsV1"] for e in body["metadata"].get("managedFields", [])}


def test_apply_creates_and_records_its_manager(crd_api):
    status, body = apply(crd_api, a_trainjob(replicas=2, tags=["a"]))

    assert status == 201, body
    assert body["spec"] == {"replicas": 2, "tags": ["a"], "policy": "Never", "nested": {"flag": True}}
    entry = body["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["apiVersion"]) == ("mine", "Apply", "kubeflow.org/v1")
    assert entry["fieldsV1"] == {"f:spec": {"f:replicas": {}, "f:tags": {}}}  # defaults are nobody's


@pytest.mark.parametrize(
    ("body", "params", "message"),
    [
        pytest.param(a_trainjob(), {"fieldManager": ""}, "fieldManager: Required value", id="no-manager"),
        pytest.param(
            {"metadata": {"name": "t"}, "spec": {"replicas": 1}},
            {"fieldManager": "mine"},
            "apiVersion and kind are required",
            id="no-kind",
        ),
    ],
)
def test_apply_needs_a_manager_and_a_typed_body(crd_api, body, params, message):
    status, answer = crd_api.patch(f"{JOBS}/t", body, content_type=APPLY, **params)

    assert status == 400
    assert message in answer["message"]


def test_a_field_left_out_is_removed_unlike_a_merge_patch(crd_api):
    apply(crd_api, a_trainjob(replicas=2, ratio=0.5, free={"a": 1, "b": 2}))

    status, body = apply(crd_api, a_trainjob(replicas=2, free={"a": 1}))

    assert status == 200, body
    assert "ratio" not in body["spec"]
    assert body["spec"]["free"] == {"a": 1}
    merged = crd_api.patch(f"{JOBS}/t", {"spec": {"ratio": 0.25}})[1]  # an Update by someone else
    assert merged["spec"]["ratio"] == 0.25
    assert apply(crd_api, a_trainjob(replicas=2, free={"a": 1}))[1]["spec"]["ratio"] == 0.25  # not ours


def test_a_map_left_empty_goes_too(crd_api):
    labelled = a_trainjob()
    labelled["metadata"]["labels"] = {"stage": "dev"}
    apply(crd_api, labelled)

    _, body = apply(crd_api, a_trainjob())

    assert "labels" not in body["metadata"]


def test_another_managers_field_is_a_conflict_unless_forced(crd_api):
    apply(crd_api, a_trainjob(replicas=2))
    crd_api.patch(f"{JOBS}/t", {"spec": {"policy": "OnFailure"}}, fieldManager="operator")

    status, body = apply(crd_api, a_trainjob(replicas=2, policy="Never"))

    assert status == 409
    assert body["reason"] == "Conflict"
    assert 'conflict with "operator" using kubeflow.org/v1: .spec.policy' in body["message"]
    assert body["details"]["causes"][0]["field"] == ".spec.policy"
    status, body = apply(crd_api, a_trainjob(replicas=2, policy="Never"), force="true")
    assert status == 200, body
    assert body["spec"]["policy"] == "Never"
    assert "f:policy" in owners(body)[("mine", "Apply")]["f:spec"]
    assert ("operator", "Update") not in owners(body)  # it owned nothing else


def test_the_creators_fields_conflict_too(crd_api):
    crd_api.post(JOBS, a_trainjob(replicas=1))  # an Update by the User-Agent's name

    status, body = apply(crd_api, a_trainjob(replicas=3))

    assert status == 409
    assert 'conflict with "python-requests"' in body["message"]


def test_a_shared_value_stays_when_one_owner_lets_go(crd_api):
    apply(crd_api, a_trainjob(replicas=2, ratio=0.5), manager="one")
    apply(crd_api, a_trainjob(replicas=2, ratio=0.5), manager="two")  # the same value: no conflict

    status, body = apply(crd_api, a_trainjob(replicas=2), manager="one")

    assert status == 200, body
    assert body["spec"]["ratio"] == 0.5
    assert apply(crd_api, a_trainjob(replicas=2), manager="two")[1]["spec"].get("ratio") is None


def test_lists_are_replaced_whole_and_a_no_op_writes_nothing(crd_api):
    apply(crd_api, a_trainjob(tags=["a", "b"]))
    _, body = apply(crd_api, a_trainjob(tags=["c"]))
    assert body["spec"]["tags"] == ["c"]

    _, again = apply(crd_api, a_trainjob(tags=["c"]))

    assert again["metadata"]["resourceVersion"] == body["metadata"]["resourceVersion"]


def test_status_is_not_applied(crd_api):
    apply(crd_api, a_trainjob())
    crd_api.patch(f"{JOBS}/t/status", {"status": {"state": "Running"}})

    _, body = apply(crd_api, {**a_trainjob(replicas=4), "status": {"state": "Hacked"}})

    assert body["spec"]["replicas"] == 4
    assert body["status"] == {"state": "Running"}
