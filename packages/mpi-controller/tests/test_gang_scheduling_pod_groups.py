"""Gang scheduling (mpi.md §15): the PodGroup's spec and the pods' scheduler marks, launcher counted.

Covers AC-23 (Volcano defaults from annotation/priorityClassName/requests, and schedulingPolicy overrides),
AC-24 (scheduler-plugins: timeout 0, no queue, pod label; a policy edit updates the spec in place), the
priority rule for minResources with minAvailable below the pod count, limits standing in for requests, the
priority class taken from the worker template, minMember 0 (no minResources), an unknown PriorityClass.
"""

import pytest

from training_operator.mpi.testing import a_job, existing, sync

LAUNCHER = {
    "template": {
        "spec": {
            "priorityClassName": "high",
            "containers": [{"name": "l", "resources": {"requests": {"cpu": "1", "memory": "2Gi"}}}],
        }
    }
}
WORKER = {
    "replicas": 2,
    "template": {
        "spec": {"containers": [{"name": "w", "resources": {"requests": {"cpu": "10", "memory": "20Gi"}}}]}
    },
}


def pod_group(plan):
    [body] = [c.body for c in plan.creates if c.kind == "PodGroup"]
    return body


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        pytest.param(
            None,
            {
                "minMember": 3,
                "queue": "project-x",
                "priorityClassName": "high",
                "minResources": {"cpu": "21", "memory": "42Gi"},
            },
            id="AC-23-defaults",
        ),
        pytest.param(
            {"minAvailable": 2, "queue": "project-y", "priorityClass": "low", "minResources": {"cpu": "100"}},
            {
                "minMember": 2,
                "queue": "project-y",
                "priorityClassName": "low",
                "minResources": {"cpu": "100"},
            },
            id="AC-23-policy",
        ),
    ],
)
def test_ac23_volcano(policy, expected):
    run_policy = {"schedulingPolicy": policy} if policy else {}
    job = a_job(
        name="g",
        launcher=LAUNCHER,
        worker=WORKER,
        workers=None,
        runPolicy=run_policy,
        annotations={"scheduling.volcano.sh/queue-name": "project-x"},
    )
    plan = sync(job, gang_scheduler_name="volcano")
    group = pod_group(plan)
    assert group["apiVersion"] == "scheduling.volcano.sh/v1beta1"
    assert group["metadata"]["name"] == "g"
    assert group["spec"] == expected
    for body in (c.body for c in plan.creates if c.kind == "Pod"):
        assert body["spec"]["schedulerName"] == "volcano"
        assert body["metadata"]["annotations"] == {"scheduling.k8s.io/group-name": "g"}
    kinds = [c.kind for c in plan.creates]
    assert kinds.index("PodGroup") < kinds.index("Pod")


def test_ac24_scheduler_plugins_and_in_place_update():
    job = a_job(name="g", launcher=LAUNCHER, worker=WORKER, workers=None)
    plan = sync(job, gang_scheduler_name="scheduler-plugins-scheduler")
    group = pod_group(plan)
    assert group["apiVersion"] == "scheduling.x-k8s.io/v1alpha1"
    assert group["spec"] == {
        "minMember": 3,
        "scheduleTimeoutSeconds": 0,
        "minResources": {"cpu": "21", "memory": "42Gi"},
    }
    [launcher] = [c.body for c in plan.creates if c.kind == "Job"]
    template = launcher["spec"]["template"]
    assert template["spec"]["schedulerName"] == "scheduler-plugins-scheduler"
    assert template["metadata"]["labels"]["scheduling.x-k8s.io/pod-group"] == "g"
    edited = a_job(
        name="g",
        launcher=LAUNCHER,
        worker=WORKER,
        workers=None,
        status=plan.status,
        runPolicy={"schedulingPolicy": {"scheduleTimeoutSeconds": 100}},
    )
    again = sync(edited, existing(plan), gang_scheduler_name="scheduler-plugins-scheduler")
    assert [(u.kind, u.patch) for u in again.updates] == [
        ("PodGroup", {"spec": {"scheduleTimeoutSeconds": 100}})
    ]


def test_min_resources_drops_the_lower_priority_pods():
    launcher = {
        "template": {
            "spec": {
                "priorityClassName": "top",
                "containers": [{"name": "l", "resources": {"requests": {"cpu": "2", "memory": "4Gi"}}}],
            }
        }
    }
    worker = {
        "replicas": 100,
        "template": {
            "spec": {
                "priorityClassName": "mid",
                "containers": [{"name": "w", "resources": {"limits": {"cpu": "20", "memory": "64Gi"}}}],
            }
        },
    }
    job = a_job(
        launcher=launcher, worker=worker, workers=None, runPolicy={"schedulingPolicy": {"minAvailable": 2}}
    )
    plan = sync(job, gang_scheduler_name="volcano", priority_classes={"top": 100010, "mid": 10010})
    assert pod_group(plan)["spec"]["minResources"] == {"cpu": "22", "memory": "68Gi"}


def test_no_pod_group_without_gang_scheduling():
    assert "PodGroup" not in [c.kind for c in sync(a_job()).creates]


def test_the_priority_class_comes_from_the_worker_when_the_launcher_names_none():
    worker = {**WORKER, "template": {"spec": {**WORKER["template"]["spec"], "priorityClassName": "batch"}}}
    launcher = {"template": {"spec": {"containers": [{"name": "l"}]}}}
    plan = sync(a_job(launcher=launcher, worker=worker, workers=None), gang_scheduler_name="volcano")
    assert pod_group(plan)["spec"]["priorityClassName"] == "batch"


def test_min_member_0_has_no_min_resources():
    job = a_job(
        launcher=LAUNCHER, worker=WORKER, workers=None, runPolicy={"schedulingPolicy": {"minAvailable": 0}}
    )
    volcano = pod_group(sync(job, gang_scheduler_name="volcano"))["spec"]
    assert volcano["minMember"] == 0
    assert "minResources" not in volcano
    plugins = pod_group(sync(job, gang_scheduler_name="my-scheduler"))["spec"]
    assert plugins == {"minMember": 0, "scheduleTimeoutSeconds": 0}


def test_an_unknown_priority_class_counts_as_0():
    worker = {**WORKER, "template": {"spec": {**WORKER["template"]["spec"], "priorityClassName": "mid"}}}
    job = a_job(
        launcher=LAUNCHER, worker=worker, workers=None, runPolicy={"schedulingPolicy": {"minAvailable": 2}}
    )
    plan = sync(job, gang_scheduler_name="volcano", priority_classes={"mid": 10})
    # the launcher's "high" is not a PriorityClass the cluster has → 0, below the workers' 10: the launcher
    # is the lower entry and its count is the one cut to minMember − 1 (Q9); had "high" counted, the
    # workers would be cut instead ({"cpu": "11", "memory": "22Gi"})
    assert pod_group(plan)["spec"]["minResources"] == {"cpu": "21", "memory": "42Gi"}
