"""Gang scheduling (common.md §14, §6.4; acceptance 42–47; Q4, Q15).

Covers: the volcano PodGroup body and the pod gating while its phase is empty or Pending (lastReconcileTime
and a delayed requeue); pod linkage once Inqueue; the sticky queue; scheduler-plugins PodGroups and
immediate pods; minResources from requests or limits, with PriorityClass order (Q4 fix) and explicit values;
template schedulerName kept with a warning; PodGroup deletion with JobTerminated; update only on change.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from training_operator.core import labels
from training_operator.core.engine import gang
from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import FakeCluster, TestFramework, a_job, a_template, creates_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
VOLCANO = EngineOptions(gang_scheduler_name="volcano", gang_retry_seconds=3.0)
PLUGINS = EngineOptions(gang_scheduler_name="my-sched")


def cpu_template(**resources):
    template = a_template()
    template["spec"]["containers"][0]["resources"] = resources
    return template


def volcano_cluster(**job):
    templates = {"Worker": cpu_template(requests={"cpu": "1"}), "PS": cpu_template(requests={"cpu": "1"})}
    body = a_job(replicas={"Worker": 2, "PS": 1}, templates=templates, annotations={"a": "b"}, **job)
    return FakeCluster(TestFramework(), body, options=VOLCANO)


def set_phase(cluster, phase):
    group = cluster.snapshot.object("PodGroup", "job-a")
    body = {**group.body, "status": {"phase": phase}}
    others = tuple(o for o in cluster.snapshot.objects if o is not group)
    cluster.snapshot = replace(cluster.snapshot, objects=(*others, replace(group, body=body)))


def test_volcano_pod_group_gates_pods_until_inqueue():
    cluster = volcano_cluster()
    plan = cluster.reconcile(NOW)
    (group,) = creates_of(plan, "PodGroup")
    assert group.body["apiVersion"] == "scheduling.volcano.sh/v1beta1"
    assert group.body["metadata"]["annotations"] == {"a": "b"}
    assert group.body["metadata"]["ownerReferences"][0]["controller"] is True
    assert group.body["spec"] == {"minMember": 3, "queue": "default", "minResources": {"cpu": "3"}}
    assert creates_of(plan, "Pod") == []
    assert plan.status["lastReconcileTime"] == "2024-05-01T10:00:00Z"
    assert plan.requeue_after == 3.0  # Q15: a delay, not a tight loop
    assert "startTime" not in plan.status
    for phase in ("", "Pending"):
        set_phase(cluster, phase)
        assert creates_of(cluster.reconcile(NOW + timedelta(seconds=5)), "Pod") == []
    set_phase(cluster, "Inqueue")
    plan = cluster.reconcile(NOW + timedelta(seconds=10))
    pods = {c.name: c.body for c in creates_of(plan, "Pod")}
    assert len(pods) == 3
    for name, body in pods.items():
        assert body["spec"]["schedulerName"] == "volcano"
        assert body["metadata"]["annotations"][labels.VOLCANO_GROUP_NAME] == "job-a"
        assert body["metadata"]["annotations"][labels.VOLCANO_TASK_SPEC] == name.split("-")[2]
    assert plan.updates == ()


def test_existing_queue_is_sticky():
    cluster = volcano_cluster(run_policy={"schedulingPolicy": {"queue": "q2"}})
    group = ObjectRecord(
        gang.VOLCANO_API,
        "PodGroup",
        "job-a",
        owner_uid="uid-job-a",
        body={"spec": {"queue": "q1"}, "status": {}},
    )
    cluster.snapshot = Snapshot(objects=(group,))
    plan = cluster.reconcile(NOW)
    assert "queue" not in plan.updates[0].patch["spec"]  # minMember/minResources are filled in, queue kept
    assert cluster.snapshot.object("PodGroup", "job-a").body["spec"]["queue"] == "q1"
    assert cluster.reconcile(NOW).updates == ()


def test_scheduler_plugins_pod_group_and_immediate_pods():
    run_policy = {"schedulingPolicy": {"minAvailable": 2, "scheduleTimeoutSeconds": 30}}
    cluster = FakeCluster(
        TestFramework(), a_job(replicas={"Worker": 3}, run_policy=run_policy), options=PLUGINS
    )
    plan = cluster.reconcile(NOW)
    (group,) = creates_of(plan, "PodGroup")
    assert group.body["apiVersion"] == "scheduling.x-k8s.io/v1alpha1"
    assert group.body["spec"] == {"minMember": 2, "scheduleTimeoutSeconds": 30}
    pods = creates_of(plan, "Pod")
    assert len(pods) == 3
    for pod in pods:
        assert pod.body["spec"]["schedulerName"] == "my-sched"
        assert pod.body["metadata"]["labels"][labels.SCHEDULER_PLUGINS_POD_GROUP] == "job-a"


@pytest.mark.parametrize(
    ("priorities", "expected"),
    [
        pytest.param({}, {"cpu": "2"}, id="ties-by-canonical-order-ps-first"),
        pytest.param({"high": 10}, {"cpu": "4"}, id="priority-class-first"),
        pytest.param({"other": 10}, {"cpu": "2"}, id="unknown-priority-class-counts-as-0"),
    ],
)
def test_min_resources_sum_covers_min_member_pods(priorities, expected):
    worker = cpu_template(limits={"cpu": "2"})
    worker["spec"]["priorityClassName"] = "high"
    templates = {"Worker": worker, "PS": cpu_template(requests={"cpu": "1"})}
    run_policy = {"schedulingPolicy": {"minAvailable": 2}}
    body = a_job(replicas={"Worker": 2, "PS": 2}, templates=templates, run_policy=run_policy)
    options = EngineOptions(gang_scheduler_name="volcano")
    cluster = FakeCluster(TestFramework(), body, options=options, priority_classes=priorities)
    plan = cluster.reconcile(NOW)
    assert creates_of(plan, "PodGroup")[0].body["spec"]["minResources"] == expected


def test_explicit_min_resources_are_used_verbatim():
    run_policy = {"schedulingPolicy": {"minResources": {"cpu": "500m", "nvidia.com/gpu": "1"}}}
    plan = FakeCluster(TestFramework(), a_job(run_policy=run_policy), options=VOLCANO).reconcile(NOW)
    assert creates_of(plan, "PodGroup")[0].body["spec"]["minResources"] == {
        "cpu": "500m",
        "nvidia.com/gpu": "1",
    }


def test_custom_scheduler_is_kept_with_a_warning_per_pod():
    templates = {"Worker": a_template(schedulerName="other")}
    cluster = FakeCluster(
        TestFramework(), a_job(replicas={"Worker": 2}, templates=templates), options=PLUGINS
    )
    plan = cluster.reconcile(NOW)
    assert [p.body["spec"]["schedulerName"] for p in creates_of(plan, "Pod")] == ["other", "other"]
    assert [e.type for e in plan.events if e.reason == "SetPodTemplateSchedulerName"] == [
        "Warning",
        "Warning",
    ]


@pytest.mark.parametrize(
    "finish",
    [
        pytest.param(
            lambda body: body.setdefault("status", {}).update(
                conditions=[{"type": "Succeeded", "status": "True"}], completionTime="2024-05-01T10:00:00Z"
            ),
            id="finished",
        ),
        pytest.param(
            lambda body: body["spec"].setdefault("runPolicy", {}).update(suspend=True), id="suspended"
        ),
        pytest.param(
            lambda body: body["spec"].setdefault("runPolicy", {}).update(activeDeadlineSeconds=0),
            id="deadline",
        ),
    ],
)
def test_pod_group_is_deleted_when_the_job_ends_or_pauses(finish):
    cluster = FakeCluster(TestFramework(), a_job(), options=PLUGINS)
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    cluster.update_spec(finish)
    plan = cluster.reconcile(NOW)
    assert ("PodGroup", "job-a") in [(d.kind, d.name) for d in plan.deletes]
    assert ("Normal", "JobTerminated", "Job has been terminated. Deleting PodGroup") in [
        (e.type, e.reason, e.message) for e in plan.events
    ]
    assert cluster.snapshot.objects == ()


def test_min_member_0_gives_an_empty_gang():
    run_policy = {"schedulingPolicy": {"minAvailable": 0}}
    templates = {"Worker": cpu_template(requests={"cpu": "1"})}
    body = a_job(replicas={"Worker": 2}, templates=templates, run_policy=run_policy)
    plan = FakeCluster(TestFramework(), body, options=VOLCANO).reconcile(NOW)
    assert creates_of(plan, "PodGroup")[0].body["spec"] == {"minMember": 0, "queue": "default"}


def test_another_replicas_scheduler_name_warns_on_every_pod():
    # §6.4: *any* template with another schedulerName makes every pod creation warn, its own or not
    templates = {"PS": a_template(schedulerName="other"), "Worker": a_template()}
    body = a_job(replicas={"Worker": 2, "PS": 1}, templates=templates)
    plan = FakeCluster(TestFramework(), body, options=PLUGINS).reconcile(NOW)
    schedulers = {p.name: p.body["spec"]["schedulerName"] for p in creates_of(plan, "Pod")}
    assert schedulers == {"job-a-ps-0": "other", "job-a-worker-0": "my-sched", "job-a-worker-1": "my-sched"}
    warnings = [e for e in plan.events if e.reason == "SetPodTemplateSchedulerName"]
    assert len(warnings) == 3
    assert {e.message for e in warnings} == {
        "Another scheduler is specified when gang-scheduling is enabled and it will not be overwritten"
    }


OTHER_MODE = {
    "volcano": ("scheduling.x-k8s.io/v1alpha1", "scheduler-plugins-sched"),
    "my-sched": ("scheduling.volcano.sh/v1beta1", "volcano"),
}


@pytest.mark.parametrize("scheduler", ["volcano", "my-sched"])
@pytest.mark.parametrize("deleting", [False, True], ids=["present", "deleting"])
def test_a_pod_group_of_the_other_scheduler_is_not_the_jobs(scheduler, deleting):
    api = OTHER_MODE[scheduler][0]
    other = ObjectRecord(api, "PodGroup", "job-a", "uid-pg", "uid-job-a", deleting=deleting)
    options = EngineOptions(gang_scheduler_name=scheduler)
    plan = FakeCluster(
        TestFramework(), a_job(), snapshot=Snapshot(objects=(other,)), options=options
    ).reconcile(NOW)
    [created] = creates_of(plan, "PodGroup")
    assert created.body["apiVersion"] == gang.api_version("volcano" if scheduler == "volcano" else "x")
    assert plan.updates == ()


def test_unset_replicas_and_spec_less_types_count_one_each():
    body = a_job(replicas={"Worker": None, "PS": 3})
    body["spec"]["testReplicaSpecs"]["Chief"] = None
    assert gang.total_replicas(TestFramework().parse(body)) == 5


def ranked(templates, replicas, priorities, min_available):
    run_policy = {"schedulingPolicy": {"minAvailable": min_available}}
    body = a_job(replicas=replicas, templates=templates, run_policy=run_policy)
    options = EngineOptions(gang_scheduler_name="volcano")
    cluster = FakeCluster(TestFramework(), body, options=options, priority_classes=priorities)
    plan = cluster.reconcile(NOW)
    return creates_of(plan, "PodGroup")[0].body["spec"].get("minResources")


def classed(cpu, priority_class=None):
    template = cpu_template(requests={"cpu": cpu})
    if priority_class:
        template["spec"]["priorityClassName"] = priority_class
    return template


@pytest.mark.parametrize(
    ("ps_class", "worker_class", "first_cpu"),
    [
        pytest.param(None, "zero", "1", id="unknown-ties-a-known-0-canonical-order-wins"),
        pytest.param("zero", None, "1", id="known-0-ties-an-unknown-canonical-order-wins"),
        pytest.param("five", "ten", "7", id="higher-value-first-against-canonical-order"),
    ],
)
def test_priority_order(ps_class, worker_class, first_cpu):
    templates = {"PS": classed("1", ps_class), "Worker": classed("7", worker_class)}
    priorities = {"zero": 0, "five": 5, "ten": 10}
    assert ranked(templates, {"PS": 1, "Worker": 1}, priorities, 1) == {"cpu": first_cpu}


def test_non_canonical_types_tie_by_name():
    templates = {"Foo": classed("3"), "Bar": classed("2")}
    assert ranked(templates, {"Foo": 1, "Bar": 1}, {}, 1) == {"cpu": "2"}


def test_a_type_with_zero_replicas_counts_no_pod():
    templates = {"PS": classed("100"), "Worker": classed("1")}  # PS first by canonical order
    assert ranked(templates, {"PS": 0, "Worker": 2}, {}, 2) == {"cpu": "2"}


def test_the_last_type_counts_only_the_pods_still_missing():
    templates = {"PS": classed("10"), "Worker": classed("1")}
    assert ranked(templates, {"PS": 1, "Worker": 3}, {}, 2) == {"cpu": "11"}


def test_a_bad_quantity_is_an_error_naming_min_resources():
    body = a_job(templates={"Worker": classed("one")})
    plan = FakeCluster(TestFramework(), body, options=VOLCANO).reconcile(NOW)
    assert plan.error is not None
    assert plan.error.startswith("cannot compute PodGroup minResources")
