"""The slim records the engine reads (core.engine.observed), queried the way the rules query them.

Covers: frozen label maps (lookup of present and absent keys, equality with each other and with plain maps,
never with other values); a pod's readiness (only a True `Ready` condition); a container by exact name; the
snapshot's lookups by kind and exact name (`object`, `named`; the first record when a name is held twice;
a lookup does not change the snapshot's equality), an object's labels from its body, and the pods
and services a given controller owns.
"""

import pytest

from training_operator.core.engine.observed import (
    ContainerRecord,
    FrozenLabels,
    ObjectRecord,
    PodConditionRecord,
    PodRecord,
    ServiceRecord,
    Snapshot,
)

LABELS = FrozenLabels((("a", "1"), ("b", "2"), ("c", "3")))


def test_a_label_map_finds_present_keys_and_only_them():
    assert [LABELS[k] for k in ("a", "b", "c")] == ["1", "2", "3"]
    assert LABELS.get("bb") is None
    with pytest.raises(KeyError):
        LABELS["bb"]
    assert list(LABELS) == ["a", "b", "c"]
    assert len(LABELS) == 3


@pytest.mark.parametrize(
    ("other", "equal"),
    [
        pytest.param(FrozenLabels((("a", "1"), ("b", "2"), ("c", "3"))), True, id="same-pairs"),
        pytest.param(FrozenLabels((("a", "1"), ("b", "2"), ("c", "4"))), False, id="a-greater-value"),
        pytest.param(FrozenLabels((("a", "1"), ("b", "2"), ("c", "0"))), False, id="a-smaller-value"),
        pytest.param({"a": "1", "b": "2", "c": "3"}, True, id="equal-dict"),
        pytest.param({"a": "1", "b": "2"}, False, id="smaller-dict"),
        pytest.param("a=1,b=2,c=3", False, id="not-a-map"),
        pytest.param(None, False, id="none"),
    ],
)
def test_label_map_equality(other, equal):
    assert (other == LABELS) is equal
    assert (other != LABELS) is (not equal)


def test_equal_label_maps_hash_alike():
    assert hash(LABELS) == hash(FrozenLabels((("a", "1"), ("b", "2"), ("c", "3"))))
    assert repr(FrozenLabels((("a", "1"),))) == "FrozenLabels({'a': '1'})"


def condition(type_, status):
    return PodConditionRecord(type_, status)


@pytest.mark.parametrize(
    ("conditions", "ready"),
    [
        pytest.param((condition("Ready", "True"),), True, id="ready"),
        pytest.param((condition("Ready", "False"),), False, id="not-ready"),
        pytest.param((condition("Ready", "Unknown"),), False, id="unknown"),
        pytest.param((condition("ContainersReady", "True"),), False, id="another-type-before"),
        pytest.param((condition("Scheduled", "True"),), False, id="another-type-after"),
        pytest.param((condition("PodScheduled", "True"), condition("Ready", "False")), False, id="mixed"),
        pytest.param((), False, id="none"),
    ],
)
def test_a_pod_is_ready_only_with_a_true_ready_condition(conditions, ready):
    assert PodRecord("p", conditions=conditions).ready is ready


def test_a_container_is_found_by_exact_name():
    containers = (
        ContainerRecord("alpha", exit_code=1),
        ContainerRecord("main", exit_code=2),
        ContainerRecord("zeta"),
    )
    pod = PodRecord("p", containers=containers)
    assert pod.container("main").exit_code == 2
    assert pod.container("m") is None
    assert pod.container("mainz") is None


def record(kind, name, owner="uid-job"):
    body = {"metadata": {"name": name, "labels": {"app": name}}}
    return ObjectRecord("v1", kind, name, f"uid-{name}", owner, body=body)


SNAPSHOT = Snapshot(
    pods=(
        PodRecord("b-pod", owner_uid="uid-job"),
        PodRecord("c-pod", owner_uid="other"),
        PodRecord("d-pod", owner_uid="zzz"),
    ),
    services=(
        ServiceRecord("b-svc", owner_uid="other"),
        ServiceRecord("c-svc", owner_uid="uid-job"),
        ServiceRecord("d-svc", owner_uid="zzz"),
    ),
    objects=(record("ConfigMap", "a"), record("ConfigMap", "b"), record("Job", "b"), record("Secret", "b")),
)


@pytest.mark.parametrize(
    ("kind", "name", "found"),
    [
        pytest.param("ConfigMap", "b", ("ConfigMap", "b"), id="exact"),
        pytest.param("Job", "b", ("Job", "b"), id="kind-between-others"),
        pytest.param("Job", "a", None, id="name-of-another-kind"),
        pytest.param("ConfigMap", "c", None, id="no-such-name"),
        pytest.param("Deployment", "b", None, id="no-such-kind"),
    ],
)
def test_a_snapshot_finds_an_object_by_kind_and_exact_name(kind, name, found):
    got = SNAPSHOT.object(kind, name)
    assert (None if got is None else (got.kind, got.name)) == found
    named = SNAPSHOT.named(kind, name)
    assert (None if named is None else (named.kind, named.name)) == found


@pytest.mark.parametrize(
    ("kind", "name", "found"),
    [
        pytest.param("Pod", "b-pod", "b-pod", id="pod"),
        pytest.param("Pod", "b-svc", None, id="a-service-name-is-not-a-pod"),
        pytest.param("Service", "c-svc", "c-svc", id="service"),
        pytest.param("Service", "c-pod", None, id="a-pod-name-is-not-a-service"),
        pytest.param("StatefulSet", "c-svc", None, id="a-service-name-is-not-another-kind"),
    ],
)
def test_named_looks_in_the_kinds_own_records(kind, name, found):
    got = SNAPSHOT.named(kind, name)
    assert (None if got is None else got.name) == found


def test_a_name_held_twice_answers_with_the_first_record():
    snapshot = Snapshot(
        pods=(PodRecord("twin", uid="first"), PodRecord("twin", uid="second")),
        objects=(record("ConfigMap", "twin"), ObjectRecord("v1", "ConfigMap", "twin", "uid-later")),
    )
    assert snapshot.named("Pod", "twin").uid == "first"
    assert snapshot.object("ConfigMap", "twin").uid == "uid-twin"


def test_a_lookup_leaves_a_snapshot_equal_to_its_twin():
    def build():
        return Snapshot(pods=(PodRecord("b-pod", uid="u"),), services=(ServiceRecord("b-pod"),))

    looked_at, untouched = build(), build()
    assert looked_at.named("Pod", "b-pod") is not None
    assert looked_at == untouched
    assert "by_name" not in repr(looked_at)


def test_an_objects_labels_come_from_its_body():
    assert record("ConfigMap", "a").labels == {"app": "a"}
    assert ObjectRecord("v1", "ConfigMap", "x").labels == {}


def test_owned_pods_and_services_are_those_of_that_controller():
    assert [p.name for p in SNAPSHOT.owned_pods("uid-job")] == ["b-pod"]
    assert [s.name for s in SNAPSHOT.owned_services("uid-job")] == ["c-svc"]


def test_a_container_record_starts_with_no_restarts_no_exit_and_not_running():
    record = ContainerRecord("main")
    assert (record.restart_count, record.exit_code, record.running) == (0, None, False)
