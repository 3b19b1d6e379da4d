"""backoffLimit, activeDeadlineSeconds and TTL (common.md §10, §11.2, §4.3; acceptance 33–36, 50; Q1, Q7).

Covers: rule B (restart counts of Running pods of restartable types) and rule A (backoffLimit 0 with a new
failure), the failure path deleting every pod and service whatever cleanPodPolicy says, completionTime and
the Failed condition with a Normal event; the deadline and its requeue (Q1 fix); TTL deletion, requeue and
the nil-completionTime error; no TTL for suspended jobs (Q7).
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from training_operator.core.engine.observed import Snapshot
from training_operator.core.testing import (
    FakeCluster,
    TestFramework,
    a_job,
    a_pod,
    pods_of,
    services_of,
    written_status,
)

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SHAPE = {"Worker": 4, "PS": 2}
CREATED = {"type": "Created", "status": "True", "reason": "TestJobCreated"}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def running_job(pods, *, run_policy, status=None, restart_policy=None):
    job = a_job(replicas=SHAPE, run_policy=run_policy, restart_policy=restart_policy, status=status)
    snapshot = Snapshot(pods=tuple(pods), services=tuple(services_of("job-a", SHAPE)))
    return FakeCluster(TestFramework(), job, snapshot=snapshot)


def assert_failed_with(plan, message):
    failed = plan.status["conditions"][-1]
    assert (failed["type"], failed["status"], failed["reason"], failed["message"]) == (
        "Failed",
        "True",
        "TestJobFailed",
        message,
    )
    assert ("Normal", "TestJobFailed", message) in [(e.type, e.reason, e.message) for e in plan.events]
    assert plan.status["completionTime"] == stamp(NOW)


def test_backoff_by_restart_count_fails_and_deletes_everything():
    pods = pods_of("job-a", {"Worker": 4}, restart_count=1) + pods_of("job-a", {"PS": 2})
    policies = {"Worker": "OnFailure", "PS": "Never"}
    cluster = running_job(
        pods, run_policy={"backoffLimit": 4, "cleanPodPolicy": "None"}, restart_policy=policies
    )
    plan = cluster.reconcile(NOW)
    assert_failed_with(plan, "Job job-a has failed because it has reached the specified backoff limit")
    assert len([d for d in plan.deletes if d.kind == "Pod"]) == 6
    assert len([d for d in plan.deletes if d.kind == "Service"]) == 6


@pytest.mark.parametrize(
    ("restart_count", "phase", "policy", "fails"),
    [
        pytest.param(1, "Running", "OnFailure", True, id="one-restart"),
        pytest.param(0, "Running", "OnFailure", False, id="no-restarts"),
        pytest.param(1, "Running", "Never", False, id="never-policy-ignored"),
        pytest.param(1, "Pending", "OnFailure", False, id="non-running-ignored"),
    ],
)
def test_backoff_zero(restart_count, phase, policy, fails):
    job = a_job(replicas={"Worker": 1}, run_policy={"backoffLimit": 0}, restart_policy=policy)
    pod = a_pod("job-a", "Worker", 0, phase=phase, restart_count=restart_count)
    plan = FakeCluster(TestFramework(), job, snapshot=Snapshot(pods=(pod,))).reconcile(NOW)
    assert ("Failed" in [c["type"] for c in written_status(plan)["conditions"]]) is fails


def test_backoff_zero_new_failed_pod_fails_the_job_by_rule_a():
    job = a_job(replicas={"Worker": 2}, run_policy={"backoffLimit": 0}, restart_policy="OnFailure")
    pods = (a_pod("job-a", "Worker", 0, phase="Failed"), a_pod("job-a", "Worker", 1))
    plan = FakeCluster(TestFramework(), job, snapshot=Snapshot(pods=pods)).reconcile(NOW)
    assert_failed_with(plan, "Job job-a has failed because it has reached the specified backoff limit")


def test_backoff_rule_a_needs_active_pods_short_of_the_total():
    # rule A's `active != totalReplicas` guard: a new failure while every replica counts as active is no
    # reason to fail (upstream: a failed pod next to a full set of active ones, e.g. a scaled-down extra)
    job = a_job(replicas={"Worker": 2}, run_policy={"backoffLimit": 0}, restart_policy="Never")
    pods = (
        a_pod("job-a", "Worker", 0),
        a_pod("job-a", "Worker", 1),
        a_pod("job-a", "Worker", 2, phase="Failed"),
    )
    plan = FakeCluster(TestFramework(), job, snapshot=Snapshot(pods=pods)).reconcile(NOW)
    assert "Job job-a has failed because it has reached the specified backoff limit" not in [
        c.get("message") for c in written_status(plan)["conditions"]
    ]


def test_backoff_rule_a_needs_a_failure_beyond_the_stored_count():
    status = {"conditions": [CREATED], "replicaStatuses": {"Worker": {"failed": 1}}}
    job = a_job(replicas={"Worker": 2}, run_policy={"backoffLimit": 0}, restart_policy="Never", status=status)
    pods = (a_pod("job-a", "Worker", 0, phase="Failed"), a_pod("job-a", "Worker", 1))
    plan = FakeCluster(TestFramework(), job, snapshot=Snapshot(pods=pods)).reconcile(NOW)
    assert "backoff limit" not in str(plan.status)


@pytest.mark.parametrize(
    ("elapsed", "fails"),
    [pytest.param(1, False, id="before"), pytest.param(2, True, id="at"), pytest.param(5, True, id="after")],
)
def test_active_deadline(elapsed, fails):
    status = {"conditions": [CREATED], "startTime": stamp(NOW - timedelta(seconds=elapsed))}
    pods = pods_of("job-a", SHAPE)
    cluster = running_job(
        pods, run_policy={"activeDeadlineSeconds": 2, "cleanPodPolicy": "All"}, status=status
    )
    plan = cluster.reconcile(NOW)
    if fails:
        assert_failed_with(plan, "Job job-a has failed because it was active longer than specified deadline")
        assert len(plan.deletes) == 12
    else:
        assert plan.deletes == ()
        assert plan.requeue_after == pytest.approx(2 - elapsed)  # Q1 fix: a timer at the deadline


def test_no_deadline_no_deletion_no_requeue():
    status = {"conditions": [CREATED], "startTime": stamp(NOW - timedelta(days=1))}
    plan = running_job(pods_of("job-a", SHAPE), run_policy={}, status=status).reconcile(NOW)
    assert plan.deletes == ()
    assert plan.requeue_after is None


def test_deadline_zero_fails_at_once():
    status = {"conditions": [CREATED], "startTime": stamp(NOW)}
    plan = running_job(
        pods_of("job-a", SHAPE), run_policy={"activeDeadlineSeconds": 0}, status=status
    ).reconcile(NOW)
    assert plan.status["conditions"][-1]["type"] == "Failed"


def finished(*, ttl, completed_ago=None, condition="Succeeded", suspend=False):
    status: dict[str, Any] = {"conditions": [CREATED, {"type": condition, "status": "True"}]}
    if completed_ago is not None:
        status["completionTime"] = stamp(NOW - timedelta(seconds=completed_ago))
    run_policy = {"suspend": suspend}
    if ttl is not None:
        run_policy["ttlSecondsAfterFinished"] = ttl
    return FakeCluster(TestFramework(), a_job(run_policy=run_policy, status=status))


@pytest.mark.parametrize("condition", ["Succeeded", "Failed"])
@pytest.mark.parametrize(
    ("ttl", "ago", "deleted", "requeue"),
    [
        pytest.param(3, 0, False, 3.0, id="fresh"),
        pytest.param(0, 0, True, 0.0, id="ttl-zero"),
        pytest.param(3, 86400, True, 0.0, id="expired-a-day-ago"),
        pytest.param(5, 6, True, 0.0, id="expired"),
        pytest.param(5, 0, False, 5.0, id="five-seconds-left"),
        pytest.param(None, 0, False, None, id="unset"),
    ],
)
def test_ttl(condition, ttl, ago, deleted, requeue):
    plan = finished(ttl=ttl, completed_ago=ago, condition=condition).reconcile(NOW)
    assert plan.delete_job is deleted
    assert plan.requeue_after == requeue
    assert plan.error is None


def test_ttl_without_completion_time_is_an_error():
    plan = finished(ttl=3).reconcile(NOW)
    assert plan.error == "job completion time is nil, cannot cleanup"
    assert not plan.delete_job


@pytest.mark.parametrize("ago", [pytest.param(None, id="nil-completion"), pytest.param(86400, id="expired")])
def test_suspended_finished_job_has_no_ttl(ago):
    plan = finished(ttl=3, completed_ago=ago, suspend=True).reconcile(NOW)
    assert (plan.error, plan.delete_job, plan.requeue_after) == (None, False, None)  # Q7 fix


def test_running_job_has_no_ttl_requeue():
    cluster = running_job(pods_of("job-a", SHAPE), run_policy={"ttlSecondsAfterFinished": 5})
    assert cluster.reconcile(NOW).requeue_after is None


def test_failure_path_with_ttl_zero_deletes_the_job():
    status = {"conditions": [CREATED], "startTime": stamp(NOW - timedelta(seconds=10))}
    run_policy = {"activeDeadlineSeconds": 1, "ttlSecondsAfterFinished": 0}
    plan = running_job(pods_of("job-a", SHAPE), run_policy=run_policy, status=status).reconcile(NOW)
    assert plan.delete_job


def test_a_job_finishing_now_with_ttl_zero_is_deleted_on_the_next_pass():
    # §4.4 step 9: the TTL requeue follows the status write; the deletion happens when it fires
    job = a_job(replicas={"Worker": 1}, run_policy={"ttlSecondsAfterFinished": 0})
    snapshot = Snapshot(pods=(a_pod("job-a", "Worker", 0, phase="Succeeded", exit_code=0),))
    cluster = FakeCluster(TestFramework(), job, snapshot=snapshot)
    plan = cluster.reconcile(NOW)
    assert "Succeeded" in [c["type"] for c in written_status(plan)["conditions"]]
    assert (plan.delete_job, plan.requeue_after) == (False, 0.0)
    assert cluster.reconcile(NOW).delete_job
