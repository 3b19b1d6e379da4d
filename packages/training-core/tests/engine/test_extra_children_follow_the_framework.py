"""Extra children a framework asks for (PyTorch's HPA and the like).

Covers: a missing child is created, a changed one updated with only the fields the framework states, an
owned one the framework no longer wants deleted, a child owned by someone else never deleted, and a settled
child costs no write.
"""

from datetime import UTC, datetime

import pytest

from training_operator.core.engine import extras
from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.core.testing import FakeCluster, TestFramework, a_job

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def hpa(max_replicas):
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "job-a", "namespace": "default"},
        "spec": {"maxReplicas": max_replicas},
    }


def test_extra_child_is_created_updated_and_deleted():
    wanted = {"children": [hpa(3)]}
    cluster = FakeCluster(TestFramework(extras_hook=lambda job, observed: wanted["children"]), a_job())
    plan = cluster.reconcile(NOW)
    assert [c.name for c in plan.creates if c.kind == "HorizontalPodAutoscaler"] == ["job-a"]
    cluster.snapshot = Snapshot(
        pods=cluster.snapshot.pods,
        services=cluster.snapshot.services,
        objects=tuple(
            ObjectRecord(
                o.api_version, o.kind, o.name, owner_uid="uid-job-a", body={**o.body, "status": {"x": 1}}
            )
            for o in cluster.snapshot.objects
        ),
    )
    assert cluster.reconcile(NOW).idle
    wanted["children"] = [hpa(5)]
    plan = cluster.reconcile(NOW)
    assert [(u.kind, u.patch) for u in plan.updates] == [
        ("HorizontalPodAutoscaler", {"spec": {"maxReplicas": 5}})
    ]
    wanted["children"] = []
    plan = cluster.reconcile(NOW)
    assert [(d.kind, d.name) for d in plan.deletes] == [("HorizontalPodAutoscaler", "job-a")]


def test_children_owned_by_others_are_never_deleted():
    foreign = ObjectRecord("v1", "ConfigMap", "job-a-config", owner_uid="someone-else")
    cluster = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(objects=(foreign,)))
    assert cluster.reconcile(NOW).deletes == ()


def test_an_unwanted_child_is_deleted_only_when_owned_and_never_a_pod_group():
    job_uid = "uid-job-a"
    owned = [
        ObjectRecord("v1", "Secret", "job-a-leftover", "u1", owner_uid=job_uid),
        ObjectRecord("scheduling.volcano.sh/v1beta1", "PodGroup", "job-a", "u2", owner_uid=job_uid),
    ]
    foreign = ObjectRecord("v1", "Secret", "job-a-theirs", "u3", owner_uid="zzz-greater-than-ours")
    cluster = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(objects=(*owned, foreign)))
    assert [(d.kind, d.name) for d in cluster.reconcile(NOW).deletes] == [("Secret", "job-a-leftover")]


@pytest.mark.parametrize(
    ("current", "wanted", "patch"),
    [
        pytest.param({"a": [1, 2]}, {"a": [1, 2]}, {}, id="equal-lists-are-no-change"),
        pytest.param({"s": {"a": 1, "b": 2}}, {"s": {"a": 1}}, {}, id="fields-not-stated-are-left"),
        pytest.param({"s": {"a": 1}}, {"s": {"a": 2}}, {"s": {"a": 2}}, id="nested-change"),
        pytest.param({"s": {"a": 1}}, {"s": 5}, {"s": 5}, id="a-map-replaced-by-a-value"),
        pytest.param({"s": 5}, {"s": {"a": 1}}, {"s": {"a": 1}}, id="a-value-replaced-by-a-map"),
    ],
)
def test_subset_patch(current, wanted, patch):
    assert extras.subset_patch(current, wanted) == patch
