"""Objects at a child's name that the job does not control (common.md §6.1, §7.1, acceptance 48).

Covers, for pods, services, extra children (PyTorch's HPA) and PodGroups:

* an orphan carrying the job's labels is adopted (controller reference, uid precondition) and counted in the
  same pass, as upstream's claim step does;
* an orphan without the job's labels and any object another controller owns are never touched: no create,
  no delete, no patch, not counted; one being deleted is waited for without a report;
* each such object is reported once (a Warning `ErrResourceExists` naming it and its owner) and listed in a
  `Blocked` condition, which goes away when the name is free; the rest of the job goes on;
* an owned child that lost the job's labels is released, not counted, not written to;
* a foreign PodGroup keeps the pods from being created (they would join a stranger's gang), and a finished
  job never deletes it; the report is bounded.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core import labels
from training_operator.core.engine import ownership
from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.core.engine.plan import Adopt, Release
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import (
    FakeCluster,
    TestFramework,
    a_job,
    a_pod,
    a_service,
    creates_of,
    written_status,
)

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
OTHER = "ReplicaSet/web"


def reconcile(snapshot, *, job=None, framework=None, **options):
    cluster = FakeCluster(
        framework or TestFramework(), job or a_job(), snapshot=snapshot, options=EngineOptions(**options)
    )
    return cluster.reconcile(NOW), cluster


def blocked_condition(status):
    return next((c for c in status.get("conditions") or [] if c["type"] == "Blocked"), None)


def test_acceptance_48_a_foreign_pod_is_neither_counted_deleted_nor_created_over():
    foreign = a_pod("job-a", "Worker", 0, owner_uid="someone-else", controller=OTHER)
    extra = a_pod("job-a", "Worker", 5, owner_uid="someone-else", controller=OTHER)
    plan, cluster = reconcile(Snapshot(pods=(foreign, extra)), job=a_job(replicas={"Worker": 2}))
    assert [c.name for c in creates_of(plan, "Pod")] == ["job-a-worker-1"]
    assert [c.name for c in creates_of(plan, "Service")] == ["job-a-worker-0", "job-a-worker-1"]
    assert plan.deletes == ()
    assert plan.claims == ()
    assert plan.error is None
    status = written_status(plan)
    assert status["replicaStatuses"]["Worker"] == {}
    assert [c["type"] for c in status["conditions"]] == ["Created", "Blocked"]
    message = 'Resource "job-a-worker-0" of Kind "Pod" already exists and is not managed by TestJob'
    assert blocked_condition(status)["message"] == f"{message} (controlled by {OTHER})"
    assert [(e.type, e.reason, e.message) for e in plan.events if e.reason == "ErrResourceExists"] == [
        ("Warning", "ErrResourceExists", f"{message} (controlled by {OTHER})")
    ]
    assert cluster.conflicts == []


def test_the_report_is_made_once_and_dropped_when_the_name_is_free():
    foreign = a_pod("job-a", "Worker", 0, owner_uid="someone-else", controller=OTHER)
    cluster = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(pods=(foreign,)))
    first = cluster.reconcile(NOW)
    assert [e.reason for e in first.events].count("ErrResourceExists") == 1
    again = cluster.reconcile(NOW)
    assert "ErrResourceExists" not in [e.reason for e in again.events]
    assert again.idle
    cluster.snapshot = replace(cluster.snapshot, pods=())  # the other controller deleted its pod
    freed = cluster.reconcile(NOW)
    assert [c.name for c in creates_of(freed, "Pod")] == ["job-a-worker-0"]
    assert blocked_condition(written_status(freed)) is None


def test_the_condition_follows_the_set_of_blocked_children():
    pods = tuple(a_pod("job-a", "Worker", i, owner_uid="x", controller=OTHER) for i in range(2))
    cluster = FakeCluster(TestFramework(), a_job(replicas={"Worker": 2}), snapshot=Snapshot(pods=pods))
    cluster.reconcile(NOW)
    transition = blocked_condition(cluster.status)["lastTransitionTime"]
    cluster.snapshot = replace(cluster.snapshot, pods=pods[1:])
    later = datetime(2024, 5, 1, 10, 5, 0, tzinfo=UTC)
    plan = cluster.reconcile(later)
    condition = blocked_condition(written_status(plan))
    assert '"job-a-worker-0"' not in condition["message"]
    assert '"job-a-worker-1"' in condition["message"]
    assert condition["lastTransitionTime"] == transition
    assert condition["lastUpdateTime"] == "2024-05-01T10:05:00Z"
    assert "ErrResourceExists" not in [e.reason for e in plan.events]


def test_an_orphan_pod_with_the_jobs_labels_is_adopted_and_counted_at_once():
    orphan = a_pod("job-a", "Worker", 0, owner_uid="", phase="Running")
    plan, cluster = reconcile(Snapshot(pods=(orphan,)), job=a_job(replicas={"Worker": 2}))
    [adopt] = plan.claims
    assert isinstance(adopt, Adopt)
    assert (adopt.api_version, adopt.kind, adopt.name, adopt.uid) == (
        "v1",
        "Pod",
        "job-a-worker-0",
        orphan.uid,
    )
    assert adopt.owner == {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TestJob",
        "name": "job-a",
        "uid": "uid-job-a",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    assert [c.name for c in creates_of(plan, "Pod")] == ["job-a-worker-1"]
    assert written_status(plan)["replicaStatuses"]["Worker"] == {"active": 1}
    assert blocked_condition(written_status(plan)) is None
    assert cluster.snapshot.pods[0].owner_uid == "uid-job-a"


def test_the_issues_orphan_service_is_adopted_and_the_other_service_created():
    orphan = a_service("job-a", "Worker", 0, owner_uid="")
    plan, _ = reconcile(Snapshot(services=(orphan,)), job=a_job(replicas={"Worker": 2}))
    assert [(c.kind, c.name) for c in plan.claims] == [("Service", "job-a-worker-0")]
    assert [c.name for c in creates_of(plan, "Service")] == ["job-a-worker-1"]
    assert [c.name for c in creates_of(plan, "Pod")] == ["job-a-worker-0", "job-a-worker-1"]


def test_an_orphan_without_the_jobs_labels_is_left_alone_and_reported():
    orphan = a_pod("job-a", "Worker", 0, owner_uid="", extra_labels={labels.JOB_NAME: "other"})
    plan, _ = reconcile(Snapshot(pods=(orphan,)))
    assert plan.claims == ()
    assert creates_of(plan, "Pod") == []
    assert plan.deletes == ()
    assert blocked_condition(written_status(plan))["message"].endswith(
        "(no controller; its labels do not match the job)"
    )


@pytest.mark.parametrize(
    "holder",
    [
        pytest.param(a_pod("job-a", "Worker", 0, owner_uid="", deleting=True), id="orphan"),
        pytest.param(a_pod("job-a", "Worker", 0, owner_uid="old-job", deleting=True), id="predecessors"),
    ],
)
def test_an_object_being_deleted_is_waited_for_silently(holder):
    plan, _ = reconcile(Snapshot(pods=(holder,)))
    assert plan.claims == ()
    assert creates_of(plan, "Pod") == []
    assert plan.deletes == ()
    assert blocked_condition(written_status(plan)) is None
    assert "ErrResourceExists" not in [e.reason for e in plan.events]


def test_an_owned_pod_that_lost_the_jobs_labels_is_released_not_counted():
    pod = a_pod("job-a", "Worker", 0, phase="Running", extra_labels={labels.JOB_NAME: "renamed"})
    plan, cluster = reconcile(Snapshot(pods=(pod,)))
    [release] = plan.claims
    assert isinstance(release, Release)
    assert (release.kind, release.name, release.uid, release.owner_uid) == (
        "Pod",
        pod.name,
        pod.uid,
        "uid-job-a",
    )
    assert creates_of(plan, "Pod") == []  # its name is still taken
    assert plan.deletes == ()
    assert written_status(plan)["replicaStatuses"]["Worker"] == {}
    assert blocked_condition(written_status(plan)) is None
    then = cluster.reconcile(NOW)  # now an orphan without the job's labels: reported, never touched
    assert then.claims == ()
    assert "its labels do not match" in blocked_condition(written_status(then))["message"]


def test_the_report_names_a_few_and_counts_the_rest():
    pods = tuple(a_pod("job-a", "Worker", i, owner_uid="x", controller=OTHER) for i in range(8))
    plan, _ = reconcile(Snapshot(pods=pods), job=a_job(replicas={"Worker": 8}))
    message = blocked_condition(written_status(plan))["message"]
    assert message.count("already exists") == ownership.MAX_NAMED
    assert message.endswith(f"and {8 - ownership.MAX_NAMED} more")
    assert [e.reason for e in plan.events].count("ErrResourceExists") == ownership.MAX_NAMED


def _hpa(owner_uid, *, controller="", job_labels=True):
    meta = {"name": "job-a", "ownerReferences": [{"uid": "keep-me", "kind": "Other", "name": "o"}]}
    if job_labels:
        meta["labels"] = {labels.OPERATOR_NAME: "testjob-controller", labels.JOB_NAME: "job-a"}
    body = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta, "spec": {}}
    return ObjectRecord(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "job-a",
        "uid-hpa",
        owner_uid,
        body=body,
        controller=controller,
    )


def _wanting_hpa():
    def extras(job, observed):
        meta = {
            "name": "job-a",
            "namespace": "default",
            "labels": {labels.OPERATOR_NAME: "testjob-controller", labels.JOB_NAME: "job-a"},
        }
        return [
            {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "metadata": meta,
                "spec": {"maxReplicas": 3},
            }
        ]

    return TestFramework(extras_hook=extras)


def test_an_orphan_extra_child_is_adopted_keeping_its_other_owners_then_patched():
    plan, _ = reconcile(Snapshot(objects=(_hpa(""),)), framework=_wanting_hpa())
    [adopt] = plan.claims
    assert adopt.keep == ({"uid": "keep-me", "kind": "Other", "name": "o"},)
    assert [(u.kind, u.patch) for u in plan.updates] == [
        ("HorizontalPodAutoscaler", {"spec": {"maxReplicas": 3}})
    ]


def test_another_controllers_extra_child_is_never_patched():
    plan, _ = reconcile(Snapshot(objects=(_hpa("x", controller=OTHER),)), framework=_wanting_hpa())
    assert plan.updates == ()
    assert plan.creates
    assert all(c.kind != "HorizontalPodAutoscaler" for c in plan.creates)
    assert '"HorizontalPodAutoscaler"' in blocked_condition(written_status(plan))["message"]


def _pod_group(owner_uid, controller=""):
    body = {
        "apiVersion": "scheduling.volcano.sh/v1beta1",
        "kind": "PodGroup",
        "metadata": {"name": "job-a"},
        "spec": {"minMember": 1, "queue": "default"},
        "status": {"phase": "Running"},
    }
    return ObjectRecord(
        "scheduling.volcano.sh/v1beta1",
        "PodGroup",
        "job-a",
        "uid-pg",
        owner_uid,
        body=body,
        controller=controller,
    )


def test_a_foreign_pod_group_keeps_the_pods_from_being_created():
    plan, _ = reconcile(Snapshot(objects=(_pod_group("x", OTHER),)), gang_scheduler_name="volcano")
    assert plan.creates == ()
    assert plan.updates == ()
    assert plan.requeue_after is None  # no gang-wait loop: the adapter's probe or a watch brings it back
    assert "lastReconcileTime" not in written_status(plan)
    assert '"PodGroup"' in blocked_condition(written_status(plan))["message"]


def test_an_orphan_pod_group_is_adopted_and_the_pods_go():
    plan, _ = reconcile(Snapshot(objects=(_pod_group(""),)), gang_scheduler_name="volcano")
    assert [(c.kind, c.uid) for c in plan.claims] == [("PodGroup", "uid-pg")]
    assert [c.name for c in creates_of(plan, "Pod")] == ["job-a-worker-0"]


@pytest.mark.parametrize("owner", ["a-smaller-uid", "z-greater-uid"])
def test_a_finished_job_never_deletes_a_foreign_pod_group(owner):
    finished = {"conditions": [{"type": "Succeeded", "status": "True", "reason": "x"}], "completionTime": "t"}
    plan, _ = reconcile(
        Snapshot(objects=(_pod_group(owner, OTHER),)),
        job=a_job(status=finished),
        gang_scheduler_name="volcano",
    )
    assert plan.deletes == ()
    assert "JobTerminated" not in [e.reason for e in plan.events]


def test_the_report_counts_what_it_does_not_name():
    pods = tuple(a_pod("job-a", "Worker", i, owner_uid="x", controller=OTHER) for i in range(11))
    plan, _ = reconcile(Snapshot(pods=pods), job=a_job(replicas={"Worker": 11}))
    message = blocked_condition(written_status(plan))["message"]
    assert message.count("already exists") == 5
    assert message.endswith("; and 6 more")


def test_exactly_five_are_all_named():
    pods = tuple(a_pod("job-a", "Worker", i, owner_uid="x", controller=OTHER) for i in range(5))
    plan, _ = reconcile(Snapshot(pods=pods), job=a_job(replicas={"Worker": 5}))
    message = blocked_condition(written_status(plan))["message"]
    assert message.count("already exists") == 5
    assert "more" not in message


def test_a_new_blocked_condition_starts_now():
    foreign = a_pod("job-a", "Worker", 0, owner_uid="x", controller=OTHER)
    plan, _ = reconcile(Snapshot(pods=(foreign,)))
    condition = blocked_condition(written_status(plan))
    assert condition["lastTransitionTime"] == condition["lastUpdateTime"] == "2024-05-01T10:00:00Z"


def test_the_message_follows_a_change_to_an_earlier_name():
    later = datetime(2024, 5, 1, 10, 5, 0, tzinfo=UTC)
    first = a_pod("job-a", "Worker", 1, owner_uid="x", controller=OTHER)
    cluster = FakeCluster(TestFramework(), a_job(replicas={"Worker": 2}), snapshot=Snapshot(pods=(first,)))
    cluster.reconcile(NOW)
    cluster.snapshot = Snapshot(pods=(a_pod("job-a", "Worker", 0, owner_uid="x", controller=OTHER),))
    status = written_status(cluster.reconcile(later))
    assert [c["type"] for c in status["conditions"]] == ["Created", "Blocked"]  # replaced in place
    message = blocked_condition(status)["message"]
    assert '"job-a-worker-0"' in message
    assert '"job-a-worker-1"' not in message


@pytest.mark.parametrize("value", ["job-0", "job-b"], ids=["smaller", "greater"])
def test_an_orphan_whose_job_name_differs_either_way_is_not_adopted(value):
    orphan = a_pod("job-a", "Worker", 0, owner_uid="", extra_labels={labels.JOB_NAME: value})
    plan, _ = reconcile(Snapshot(pods=(orphan,)))
    assert plan.claims == ()


def test_an_adoption_elsewhere_does_not_hide_a_foreign_holder():
    # claims of another kind at the same name, and of the same kind at other names, are not this name's
    snapshot = Snapshot(
        pods=(
            a_pod("job-a", "Worker", 0, owner_uid=""),
            a_pod("job-a", "Worker", 1, owner_uid=""),
            a_pod("job-a", "Worker", 2, owner_uid="x", controller=OTHER),
            a_pod("job-a", "Worker", 3, owner_uid=""),
            a_pod("job-a", "Worker", 4, owner_uid="x", controller=OTHER),
        ),
        services=(
            a_service("job-a", "Worker", 2, owner_uid=""),
            a_service("job-a", "Worker", 1, owner_uid="x", controller=OTHER),
        ),
    )
    plan, _ = reconcile(snapshot, job=a_job(replicas={"Worker": 5}))
    message = blocked_condition(written_status(plan))["message"]
    for kind, name in (("Pod", "job-a-worker-2"), ("Pod", "job-a-worker-4"), ("Service", "job-a-worker-1")):
        assert f'Resource "{name}" of Kind "{kind}"' in message
    assert sorted((c.kind, c.name) for c in plan.claims) == [
        ("Pod", "job-a-worker-0"),
        ("Pod", "job-a-worker-1"),
        ("Pod", "job-a-worker-3"),
        ("Service", "job-a-worker-2"),
    ]


def test_releasing_a_whole_body_child_keeps_its_other_owners():
    other = {"uid": "zz-keep-me", "kind": "Other", "name": "o"}  # sorts after ours: kept all the same
    ours = {"uid": "uid-job-a", "kind": "TestJob", "name": "job-a", "controller": True}
    body = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "job-a", "ownerReferences": [ours, other], "labels": {}},
    }
    record = ObjectRecord(
        "autoscaling/v2", "HorizontalPodAutoscaler", "job-a", "uid-hpa", "uid-job-a", body=body
    )
    plan, _ = reconcile(Snapshot(objects=(record,)), framework=_wanting_hpa())
    [release] = plan.claims
    assert isinstance(release, Release)
    assert release.keep == (other,)
    assert plan.updates == ()


def test_an_extra_child_without_the_wanted_labels_is_not_adopted():
    plan, _ = reconcile(Snapshot(objects=(_hpa("", job_labels=False),)), framework=_wanting_hpa())
    assert plan.claims == ()
    assert plan.updates == ()
    assert '"HorizontalPodAutoscaler"' in blocked_condition(written_status(plan))["message"]


@pytest.mark.parametrize(("owner", "waiting"), [("x", False), ("uid-job-a", True)], ids=["foreign", "ours"])
def test_a_pod_group_being_deleted_is_waited_for_not_created_over(owner, waiting):
    going = replace(_pod_group(owner, OTHER if owner == "x" else "TestJob/job-a"), deleting=True)
    plan, _ = reconcile(Snapshot(objects=(going,)), gang_scheduler_name="volcano")
    assert plan.creates == ()  # no PodGroup over it, and no pods without their group
    assert ("lastReconcileTime" in written_status(plan)) is waiting  # our own: the gang wait, with its timer
    assert blocked_condition(written_status(plan)) is None
