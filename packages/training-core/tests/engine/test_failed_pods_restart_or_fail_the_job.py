"""Failed pods (common.md §6.5, §1.8; acceptance 28–31; Q14).

Covers: retryable exit codes delete the pod, set Restarting, warn and count a restart, and the pod comes back
on a later pass; permanent exit codes keep the pod, fail the job and set completionTime (Q14 fix); a missing
terminated state is retryable; the exit-code table; OnFailure/Always restart; Never leaves it to the
framework; ExitedWithCode events; a pod already terminating is not restarted twice.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core.engine import policy
from training_operator.core.engine.draft import JOBS_RESTARTED
from training_operator.core.engine.observed import ContainerRecord, PodConditionRecord, Snapshot
from training_operator.core.testing import FakeCluster, TestFramework, a_job, a_pod, creates_of, services_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def failed_worker(restart_policy, *, exit_code=None, containers=None, deleting=False):
    pod = a_pod(
        "job-a", "Worker", 0, phase="Failed", exit_code=exit_code, containers=containers, deleting=deleting
    )
    snapshot = Snapshot(pods=(pod,), services=tuple(services_of("job-a", {"Worker": 1})))
    return FakeCluster(TestFramework(), a_job(restart_policy=restart_policy), snapshot=snapshot)


@pytest.mark.parametrize("code", [128, 130, 137, 138, 255])
def test_retryable_exit_code_restarts_the_pod(code):
    cluster = failed_worker("ExitCode", exit_code=code)
    plan = cluster.reconcile(NOW)
    assert [(d.kind, d.name) for d in plan.deletes] == [("Pod", "job-a-worker-0")]
    restarting = plan.status["conditions"][-1]
    assert (restarting["type"], restarting["status"], restarting["reason"]) == (
        "Restarting",
        "True",
        "TestJobRestarting",
    )
    assert restarting["message"] == "job job-a is restarting because Worker replica(s) failed."
    assert ("Warning", "TestJobRestarting") in [(e.type, e.reason) for e in plan.events]
    restarted = [m for m in plan.metrics if m.name == JOBS_RESTARTED]
    assert restarted[0].labels == {"job_namespace": "default", "framework": "test"}
    assert plan.status["replicaStatuses"]["Worker"] == {"failed": 1}
    again = cluster.reconcile(NOW)
    assert [c.name for c in creates_of(again, "Pod")] == ["job-a-worker-0"]


@pytest.mark.parametrize("code", [0, 1, 2, 3, 127])
def test_permanent_exit_code_fails_the_job_and_keeps_the_pod(code):
    plan = failed_worker("ExitCode", exit_code=code).reconcile(NOW)
    assert plan.deletes == ()
    failed = next(c for c in plan.status["conditions"] if c["type"] == "Failed")
    assert (failed["status"], failed["reason"]) == ("True", "TestJobFailed")
    assert plan.status["completionTime"] == "2024-05-01T10:00:00Z"  # Q14 fix
    assert ("Warning", "TestJobFailed", 'job "job-a" is failing because "Worker" replica(s) failed.') in [
        (e.type, e.reason, e.message) for e in plan.events
    ]


def test_missing_terminated_state_is_retryable():
    plan = failed_worker("ExitCode", containers=(ContainerRecord("trainer"),)).reconcile(NOW)
    assert [d.name for d in plan.deletes] == ["job-a-worker-0"]
    assert plan.status["conditions"][-1]["type"] == "Restarting"


@pytest.mark.parametrize(
    ("code", "retryable"),
    [pytest.param(c, False, id=str(c)) for c in (1, 2, 3, 127, 0)]
    + [pytest.param(c, True, id=str(c)) for c in (128, 130, 137, 138, 255)],
)
def test_exit_code_table(code, retryable):
    assert policy.is_retryable(code) is retryable


@pytest.mark.parametrize("restart_policy", ["OnFailure", "Always"])
def test_in_place_policies_restart_failed_pods(restart_policy):
    plan = failed_worker(restart_policy, exit_code=1).reconcile(NOW)
    assert [d.name for d in plan.deletes] == ["job-a-worker-0"]


def test_never_policy_leaves_failed_pods_to_the_framework():
    plan = failed_worker("Never", exit_code=1).reconcile(NOW)
    assert plan.deletes == ()
    failed = plan.status["conditions"][-1]
    assert failed["message"] == "TestJob default/job-a has failed because 1 Worker replica(s) failed."


def test_exited_with_code_event_on_every_pass():
    pods = (a_pod("job-a", "Worker", 0), a_pod("job-a", "Worker", 1, phase="Succeeded", exit_code=0))
    snapshot = Snapshot(pods=pods, services=tuple(services_of("job-a", {"Worker": 2})))
    cluster = FakeCluster(TestFramework(), a_job(replicas={"Worker": 2}), snapshot=snapshot)
    first, second = cluster.reconcile(NOW), cluster.reconcile(NOW)
    for plan in (first, second):
        assert [(e.type, e.reason, e.message) for e in plan.events if e.reason == "ExitedWithCode"] == [
            ("Normal", "ExitedWithCode", "Pod: default.job-a-worker-1 exited with code 0")
        ]


def test_a_failed_pod_already_terminating_is_not_restarted_again():
    plan = failed_worker("OnFailure", exit_code=137, deleting=True).reconcile(NOW)
    assert plan.deletes == ()
    assert not [m for m in plan.metrics if m.name == JOBS_RESTARTED]


def test_abnormal_pod_events_for_active_pods():
    waiting = ContainerRecord(
        "trainer", waiting_reason="ImagePullBackOff", waiting_message="back-off pulling"
    )
    crashed = ContainerRecord("side", exit_code=2, terminated_reason="Error", terminated_message="boom")
    pod = replace(a_pod("job-a", "Worker", 0, phase="Pending"), containers=(waiting, crashed))
    cluster = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(pods=(pod,)))
    events = {(e.type, e.reason, e.message) for e in cluster.reconcile(NOW).events}
    assert (
        "Warning",
        "ImagePullBackOff",
        "Error pod job-a-worker-0 container trainer waiting message: back-off pulling",
    ) in events
    assert (
        "Warning",
        "Error",
        "Error pod job-a-worker-0 container side exitCode: 2 terminated message: boom",
    ) in events


def test_abnormal_pod_event_from_the_latest_pod_condition():
    # §16.2: no container or init-container statuses → the condition with the latest transition speaks
    stale = PodConditionRecord("Ready", "False", "Old", "old news", "2024-05-01T09:00:00Z")
    latest = PodConditionRecord("PodScheduled", "False", "Unschedulable", "0/1 nodes", "2024-05-01T09:59:00Z")
    pod = replace(a_pod("job-a", "Worker", 0, phase="Pending"), containers=(), conditions=(stale, latest))
    plan = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(pods=(pod,))).reconcile(NOW)
    warnings = [(e.type, e.reason, e.message) for e in plan.events if e.type == "Warning"]
    assert warnings == [("Warning", "Unschedulable", "Error pod job-a-worker-0 condition message: 0/1 nodes")]


def test_no_abnormal_pod_event_when_the_latest_condition_is_true():
    scheduled = PodConditionRecord("PodScheduled", "True", "", "", "2024-05-01T09:59:00Z")
    earlier = PodConditionRecord("Ready", "False", "NotReady", "x", "2024-05-01T09:00:00Z")
    pod = replace(
        a_pod("job-a", "Worker", 0, phase="Pending"), containers=(), conditions=(earlier, scheduled)
    )
    plan = FakeCluster(TestFramework(), a_job(), snapshot=Snapshot(pods=(pod,))).reconcile(NOW)
    assert [e for e in plan.events if e.type == "Warning"] == []


@pytest.mark.parametrize(
    ("restart_policy", "exit_code", "deleting", "counted"),
    [
        pytest.param("ExitCode", 137, False, 1, id="retryable-restart"),
        pytest.param("OnFailure", 1, False, 1, id="on-failure-restart"),
        pytest.param("ExitCode", 1, False, 0, id="permanent-kept"),
        pytest.param("Never", 1, False, 0, id="never"),
        pytest.param("OnFailure", 1, True, 0, id="already-restarting"),
    ],
)
def test_failed_pods_total_counts_each_failed_pod_restarted(restart_policy, exit_code, deleting, counted):
    # upstream increments it in the retryable branch, right before deleting the pod (issue 18 item 5)
    plan = failed_worker(restart_policy, exit_code=exit_code, deleting=deleting).reconcile(NOW)
    failed = [m for m in plan.metrics if m.name == "failed_pods_total"]
    assert len(failed) == counted
    assert all(m.labels == {} for m in failed)
