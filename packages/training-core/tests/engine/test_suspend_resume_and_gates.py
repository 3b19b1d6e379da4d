"""Suspend, resume, managedBy and deletion gates (common.md §12, §13, §4.4; acceptance 38–41, 49).

Covers: a job created suspended never gets pods and ends `[Created, Suspended]`; suspending a running job
deletes every pod and service, zeroes active, flips Running and keeps startTime; resuming recreates children
and restarts the clock; externally managed and deleted jobs get an empty plan; the suspended event repeats.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from training_operator.core.testing import FakeCluster, TestFramework, a_job

T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SHAPE = {"Chief": 1, "Worker": 1}


def summary(conditions):
    return [(c["type"], c["status"], c.get("reason")) for c in conditions]


def test_created_suspended_never_creates_children():
    cluster = FakeCluster(TestFramework(), a_job(replicas=SHAPE, run_policy={"suspend": True}))
    cluster.reconcile_until_quiet(T0)
    assert cluster.snapshot.pods == ()
    assert cluster.snapshot.services == ()
    assert "startTime" not in cluster.status
    assert summary(cluster.status["conditions"]) == [
        ("Created", "True", "TestJobCreated"),
        ("Suspended", "True", "TestJobSuspended"),
    ]
    assert cluster.status["conditions"][1]["message"] == "TestJob job-a is suspended."


def running_cluster():
    cluster = FakeCluster(TestFramework(), a_job(replicas=SHAPE))
    cluster.reconcile_until_quiet(T0)
    cluster.run_all()
    cluster.reconcile_until_quiet(T0)
    return cluster


def set_suspend(cluster, value):
    cluster.update_spec(lambda body: body["spec"].setdefault("runPolicy", {}).update(suspend=value))


def test_suspending_a_running_job():
    cluster = running_cluster()
    started = cluster.status["startTime"]
    set_suspend(cluster, True)
    plan = cluster.reconcile(T0 + timedelta(seconds=30))
    assert sorted((d.kind, d.name) for d in plan.deletes) == [
        ("Pod", "job-a-chief-0"),
        ("Pod", "job-a-worker-0"),
        ("Service", "job-a-chief-0"),
        ("Service", "job-a-worker-0"),
    ]
    assert cluster.status["replicaStatuses"] == {"Chief": {}, "Worker": {}}
    assert cluster.status["startTime"] == started
    assert summary(cluster.status["conditions"]) == [
        ("Created", "True", "TestJobCreated"),
        ("Running", "False", "TestJobSuspended"),
        ("Suspended", "True", "TestJobSuspended"),
    ]
    again = cluster.reconcile(T0 + timedelta(seconds=31))
    assert again.idle
    assert ("Normal", "TestJobSuspended") in [(e.type, e.reason) for e in again.events]


@pytest.mark.parametrize("clean_pod_policy", ["Running", "None"])
def test_suspending_deletes_every_pod_whatever_clean_pod_policy_says(clean_pod_policy):
    # a finished job would keep its Succeeded and Pending pods under these policies (§11.1); suspending
    # is not finishing: every pod goes (§12)
    job = a_job(replicas={"Chief": 1, "Worker": 2}, run_policy={"cleanPodPolicy": clean_pod_policy})
    cluster = FakeCluster(TestFramework(), job)
    cluster.reconcile_until_quiet(T0)
    phases = {"job-a-chief-0": "Running", "job-a-worker-0": "Succeeded", "job-a-worker-1": "Pending"}
    cluster.set_pods(lambda pod: replace(pod, phase=phases[pod.name]))
    cluster.reconcile_until_quiet(T0)
    set_suspend(cluster, True)
    plan = cluster.reconcile(T0 + timedelta(seconds=30))
    assert sorted(d.name for d in plan.deletes if d.kind == "Pod") == sorted(phases)
    assert "Suspended" in [c["type"] for c in cluster.status["conditions"]]


def test_resuming_recreates_children_and_restarts_the_clock():
    cluster = running_cluster()
    set_suspend(cluster, True)
    cluster.reconcile_until_quiet(T0 + timedelta(seconds=30))
    set_suspend(cluster, False)
    resumed_at = T0 + timedelta(seconds=60)
    plan = cluster.reconcile(resumed_at)
    assert sorted(c.name for c in plan.creates) == [
        "job-a-chief-0",
        "job-a-chief-0",
        "job-a-worker-0",
        "job-a-worker-0",
    ]
    assert ("Normal", "TestJobResumed", "TestJob job-a is resumed.") in [
        (e.type, e.reason, e.message) for e in plan.events
    ]
    assert cluster.status["startTime"] == "2024-05-01T10:01:00Z"
    cluster.run_all()
    cluster.reconcile_until_quiet(resumed_at)
    assert summary(cluster.status["conditions"]) == [
        ("Created", "True", "TestJobCreated"),
        ("Suspended", "False", "TestJobResumed"),
        ("Running", "True", "TestJobRunning"),
    ]


@pytest.mark.parametrize("managed_by", ["kueue.x-k8s.io/multikueue", ""])
def test_externally_managed_job_gets_an_empty_plan(managed_by):
    cluster = FakeCluster(TestFramework(), a_job(run_policy={"suspend": True, "managedBy": managed_by}))
    assert cluster.reconcile(T0).idle
    set_suspend(cluster, False)
    plan = cluster.reconcile(T0)
    assert plan.idle
    assert plan.events == ()
    assert cluster.job is not None
    assert "status" not in cluster.job


def test_our_own_manager_value_is_reconciled():
    cluster = FakeCluster(TestFramework(), a_job(run_policy={"managedBy": "kubeflow.org/training-operator"}))
    assert not cluster.reconcile(T0).idle


def test_deleted_job_gets_an_empty_plan():
    cluster = FakeCluster(TestFramework(), a_job(deletion_timestamp="2024-05-01T09:00:00Z"))
    assert cluster.reconcile(T0) == cluster.plans[0]
    assert cluster.plans[0].idle
    assert cluster.plans[0].events == ()
