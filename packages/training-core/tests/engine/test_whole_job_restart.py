"""Whole-job restart (ours, `spec.runPolicy.wholeJobRestart`; docs/run-policy-and-status.md).

Covers: absent policy leaves pods as today; pods carry the attempt label and env and `restartPolicy: Never`;
a retryable failure (OnFailure, Always, retryable ExitCode) records the next attempt in one status write,
then deletes every pod (services kept), waits for them to go, and creates them all again with the new
attempt; the write count of a restart; a permanent exit code and a Never replica fail the job as today;
maxRestarts, backoffLimit and the default bound the restarts; older-attempt pods are deleted and never
counted; pods newer than the job's status wait; replaying a pass after a crash duplicates nothing; bad
policies are refused naming the field.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core import labels
from training_operator.core.engine import restart
from training_operator.core.engine.draft import JOBS_RESTARTED
from training_operator.core.engine.observed import ContainerRecord
from training_operator.core.errors import InvalidJob
from training_operator.core.testing import FakeCluster, TestFramework, a_job, creates_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
WORKERS = {"Worker": 3}


def running_job(restart_policy="OnFailure", *, run_policy=None, attempt=None):
    """A 3-worker job with the policy, reconciled until its pods run."""
    status = None if attempt is None else {restart.STATUS_FIELD: attempt}
    policy = {"wholeJobRestart": {}} if run_policy is None else run_policy
    job = a_job(replicas=WORKERS, restart_policy=restart_policy, run_policy=policy, status=status)
    cluster = FakeCluster(TestFramework(), job)
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    return cluster


def fail_worker(cluster, index, exit_code):
    """Play the kubelet: worker `index` exits with `exit_code` and its pod is Failed."""
    name = f"job-a-worker-{index}"
    container = (ContainerRecord("trainer", exit_code=exit_code),)
    cluster.set_pods(lambda p: replace(p, phase="Failed", containers=container) if p.name == name else p)


def env_of(create):
    return {e["name"]: e["value"] for e in create.body["spec"]["containers"][0].get("env", [])}


def test_without_the_policy_pods_are_as_today():
    cluster = FakeCluster(TestFramework(), a_job(replicas=WORKERS, restart_policy="OnFailure"))
    pods = creates_of(cluster.reconcile(NOW), "Pod")
    assert all(labels.RESTART_ATTEMPT not in p.body["metadata"]["labels"] for p in pods)
    assert all(restart.ATTEMPT_ENV not in env_of(p) for p in pods)
    assert {p.body["spec"]["restartPolicy"] for p in pods} == {"OnFailure"}


@pytest.mark.parametrize("restart_policy", ["OnFailure", "Always", "ExitCode", "Never"])
def test_first_pods_are_attempt_zero_and_never_restarted_in_place(restart_policy):
    job = a_job(replicas=WORKERS, restart_policy=restart_policy, run_policy={"wholeJobRestart": {}})
    pods = creates_of(FakeCluster(TestFramework(), job).reconcile(NOW), "Pod")
    assert [p.body["metadata"]["labels"][labels.RESTART_ATTEMPT] for p in pods] == ["0", "0", "0"]
    assert [env_of(p)[restart.ATTEMPT_ENV] for p in pods] == ["0", "0", "0"]
    assert {p.body["spec"]["restartPolicy"] for p in pods} == {"Never"}


@pytest.mark.parametrize(
    ("restart_policy", "exit_code"), [("OnFailure", 1), ("Always", 1), ("ExitCode", 137), ("ExitCode", 143)]
)
def test_a_retryable_failure_records_the_next_attempt_first(restart_policy, exit_code):
    cluster = running_job(restart_policy)
    fail_worker(cluster, 1, exit_code)
    plan = cluster.reconcile(NOW)
    assert (plan.creates, plan.deletes, plan.updates) == (
        (),
        (),
        (),
    )  # the decision is written before any pod goes
    assert plan.status[restart.STATUS_FIELD] == 1
    condition = plan.status["conditions"][-1]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Restarting",
        "True",
        "TestJobWholeJobRestart",
    )
    assert "Worker replica(s) failed: attempt 1 (whole-job restart 1 of at most 6)" in condition["message"]
    assert [(e.type, e.reason) for e in plan.events if "WholeJob" in e.reason] == [
        ("Warning", "TestJobWholeJobRestart")
    ]
    assert sorted(m.name for m in plan.metrics) == sorted([restart.WHOLE_JOB_RESTARTS, JOBS_RESTARTED])


def test_every_pod_goes_then_all_come_back_with_the_new_attempt_and_services_stay():
    cluster = running_job()
    fail_worker(cluster, 2, 1)
    cluster.reconcile(NOW)  # attempt 1 recorded
    deleting = cluster.reconcile(NOW)
    assert sorted(d.name for d in deleting.deletes) == ["job-a-worker-0", "job-a-worker-1", "job-a-worker-2"]
    assert {d.kind for d in deleting.deletes} == {"Pod"}
    assert deleting.creates == ()
    again = cluster.reconcile(NOW)
    pods = creates_of(again, "Pod")
    assert [p.name for p in pods] == ["job-a-worker-0", "job-a-worker-1", "job-a-worker-2"]
    assert [p.body["metadata"]["labels"][labels.RESTART_ATTEMPT] for p in pods] == ["1", "1", "1"]
    assert [env_of(p)[restart.ATTEMPT_ENV] for p in pods] == ["1", "1", "1"]
    assert creates_of(again, "Service") == []
    assert len(cluster.snapshot.services) == 3


def test_a_restart_costs_one_delete_and_one_create_per_pod_and_one_status_write_for_the_attempt():
    cluster = running_job()
    fail_worker(cluster, 0, 1)
    plans = cluster.reconcile_until_quiet(NOW)
    assert sum(len(p.deletes) for p in plans) == 3
    assert sum(len(p.creates) for p in plans) == 3
    attempt_writes = [p for p in plans if p.status is not None and restart.STATUS_FIELD in p.status]
    assert [p.status[restart.STATUS_FIELD] for p in attempt_writes[:1]] == [1]
    assert plans[0].writes == 1


def test_nothing_is_created_while_old_pods_are_terminating():
    cluster = running_job()
    fail_worker(cluster, 0, 1)
    cluster.reconcile(NOW)
    cluster.set_pods(lambda p: replace(p, deleting=True))
    plan = cluster.reconcile(NOW)
    assert plan.idle  # already terminating: no second delete, and no create before they are gone


def test_an_older_attempt_pod_is_deleted_and_never_counted():
    cluster = running_job(attempt=1)
    stale = replace(cluster.snapshot.pods[0], labels={**cluster.snapshot.pods[0].labels})
    stale = replace(stale, labels={**stale.labels, labels.RESTART_ATTEMPT: "0"})
    cluster.snapshot = replace(cluster.snapshot, pods=(stale, *cluster.snapshot.pods[1:]))
    before = cluster.status["replicaStatuses"]
    plan = cluster.reconcile(NOW)
    assert [d.name for d in plan.deletes] == [stale.name]
    assert plan.creates == ()
    assert cluster.status["replicaStatuses"] == before


def test_pods_newer_than_the_stored_status_wait_for_the_job_to_catch_up():
    cluster = running_job()
    cluster.set_pods(lambda p: replace(p, labels={**p.labels, labels.RESTART_ATTEMPT: "1"}))
    plan = cluster.reconcile(NOW)
    assert (plan.creates, plan.deletes, plan.status) == ((), (), None)
    assert plan.requeue_after is not None


@pytest.mark.parametrize(("restart_policy", "exit_code"), [("ExitCode", 1), ("Never", 137)])
def test_a_failure_the_policy_does_not_retry_fails_the_job_as_today(restart_policy, exit_code):
    cluster = running_job(restart_policy)
    fail_worker(cluster, 1, exit_code)
    plan = cluster.reconcile(NOW)
    failed = next(c for c in plan.status["conditions"] if c["type"] == "Failed")
    assert failed["status"] == "True"
    assert restart.STATUS_FIELD not in plan.status


@pytest.mark.parametrize(
    ("run_policy", "allowed"),
    [
        ({"wholeJobRestart": {"maxRestarts": 2}}, 2),
        ({"wholeJobRestart": {"maxRestarts": 2}, "backoffLimit": 5}, 2),
        ({"wholeJobRestart": {}, "backoffLimit": 3}, 3),
        ({"wholeJobRestart": {}}, 6),
    ],
)
def test_the_limit_fails_the_job_once_the_restarts_are_used_up(run_policy, allowed):
    cluster = running_job(run_policy=run_policy, attempt=allowed)
    fail_worker(cluster, 0, 1)
    plan = cluster.reconcile(NOW)
    failed = next(c for c in plan.status["conditions"] if c["type"] == "Failed")
    expected = (
        f"Job job-a has failed because it has reached the specified limit of {allowed} whole-job restarts"
    )
    assert (failed["status"], failed["message"]) == ("True", expected)
    assert plan.status[restart.STATUS_FIELD] == allowed
    # a failed job loses its pods and services whatever cleanPodPolicy says, as for backoffLimit
    assert sorted({d.kind for d in plan.deletes}) == ["Pod", "Service"]
    assert len(plan.deletes) == 6


def test_max_restarts_zero_fails_at_the_first_failure():
    cluster = running_job(run_policy={"wholeJobRestart": {"maxRestarts": 0}})
    fail_worker(cluster, 0, 1)
    assert cluster.reconcile(NOW).status["conditions"][-1]["type"] == "Failed"


def test_a_second_restart_names_its_attempt_even_before_the_job_ran_again():
    cluster = running_job()
    fail_worker(cluster, 0, 1)
    cluster.reconcile_until_quiet(NOW)  # attempt 1's pods are Pending: Restarting is still True
    fail_worker(cluster, 1, 1)
    plan = cluster.reconcile(NOW)
    assert plan.status[restart.STATUS_FIELD] == 2
    assert "attempt 2 " in plan.status["conditions"][-1]["message"]


def test_replaying_a_pass_after_a_crash_duplicates_nothing():
    cluster = running_job()
    fail_worker(cluster, 0, 1)
    job, snapshot = cluster.job, cluster.snapshot
    first = cluster.reconcile(NOW)
    cluster.job, cluster.snapshot = job, snapshot  # killed before the status write landed
    assert cluster.reconcile(NOW) == first  # the same attempt, not a second one
    cluster.reconcile_until_quiet(NOW)
    assert cluster.status[restart.STATUS_FIELD] == 1
    assert len(cluster.snapshot.pods) == 3
    assert {p.labels[labels.RESTART_ATTEMPT] for p in cluster.snapshot.pods} == {"1"}
    assert cluster.conflicts == []


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        ({"maxRestarts": 101}, "spec.runPolicy.wholeJobRestart.maxRestarts"),
        ({"maxRestarts": -1}, "spec.runPolicy.wholeJobRestart.maxRestarts"),
        ({"scope": "Job"}, "spec.runPolicy.wholeJobRestart.scope"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(policy, path):
    job = a_job(replicas=WORKERS, run_policy={"wholeJobRestart": policy})
    with pytest.raises(InvalidJob) as raised:
        TestFramework().parse(job)
    assert path in str(raised.value)
