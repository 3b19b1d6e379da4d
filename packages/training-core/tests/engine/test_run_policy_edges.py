"""Run-policy edges a user meets (common.md §6.5, §10, §11): which failures count against backoffLimit, how
restart counts do, when a TTL deletes the job, and which pods each cleanPodPolicy deletes."""

from __future__ import annotations

from datetime import UTC, datetime

from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.core.engine.observed import PodRecord
from training_operator.core.engine.policy import (
    BackoffInput,
    FailedPodAction,
    TtlDecision,
    backoff_exceeded,
    failed_pod_action,
    pods_to_clean,
    previous_failed,
    ttl_decision,
)
from training_operator.core.testing.builders import a_pod

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
NEVER = {"worker": RestartPolicy.NEVER}
ON_FAILURE = {"worker": RestartPolicy.ON_FAILURE}


def pod(index: int, phase: str = "Running", restarts: int = 0) -> PodRecord:
    return a_pod("j", "Worker", index, phase=phase, restart_count=restarts)


def exceeded(pods: list[PodRecord], *, limit: int, total: int = 2, before: int = 0, policies=NEVER) -> bool:  # type: ignore[no-untyped-def]
    return backoff_exceeded(BackoffInput(limit, pods, policies, total, before))


# --- rule A: a new failed pod while the job is short of pods, only for backoffLimit 0 (Q2) --------


def test_a_new_failure_with_a_pod_missing_exceeds_a_zero_limit() -> None:
    assert exceeded([pod(0), pod(1, "Failed")], limit=0) is True


def test_rule_a_needs_a_zero_limit() -> None:
    assert exceeded([pod(0), pod(1, "Failed")], limit=1) is False
    assert exceeded([pod(0), pod(1, "Failed")], limit=2) is False


def test_rule_a_needs_a_failure_the_last_status_did_not_count() -> None:
    assert exceeded([pod(0), pod(1, "Failed")], limit=0, before=1) is False
    assert exceeded([pod(0), pod(1, "Failed")], limit=0, before=2) is False


def test_rule_a_needs_a_failure_at_all() -> None:
    assert exceeded([pod(0), pod(1, "Pending"), pod(2, "Succeeded")], limit=0, total=4) is False


def test_rule_a_needs_active_pods_to_differ_from_the_replicas() -> None:
    full = [pod(0), pod(1), pod(1, "Failed")]
    assert exceeded(full, limit=0, total=2) is False
    assert exceeded(full, limit=0, total=1) is True  # more active than wanted counts as different too


# --- rule B: container restarts of Running pods with a restartable policy -------------------------


def test_restarts_reach_the_limit_at_equality() -> None:
    assert exceeded([pod(0, restarts=2)], limit=3, policies=ON_FAILURE) is False
    assert exceeded([pod(0, restarts=1), pod(1, restarts=2)], limit=3, policies=ON_FAILURE) is True
    assert exceeded([pod(0, restarts=4)], limit=3, policies=ON_FAILURE) is True
    assert exceeded([pod(0, restarts=1)], limit=3, policies=ON_FAILURE) is False


def test_a_zero_limit_fails_on_any_restart() -> None:
    assert exceeded([pod(0, restarts=1), pod(1)], limit=0, policies=ON_FAILURE) is True
    assert exceeded([pod(0), pod(1)], limit=0, policies=ON_FAILURE) is False


def test_restarts_of_pods_that_are_not_running_are_ignored() -> None:
    for phase in ("Succeeded", "Unknown", "Pending"):
        assert exceeded([pod(0, phase, restarts=5)], limit=1, total=1, policies=ON_FAILURE) is False


def test_previous_failures_add_up_over_every_type_and_absent_counts_are_zero() -> None:
    status = {
        "replicaStatuses": {
            "Worker": {"active": 1},
            "PS": {"failed": 2},
            "Chief": None,
            "Master": {"failed": 1},
        }
    }
    assert previous_failed(status) == 3
    assert previous_failed({}) == 0


# --- restart policy of a failed pod ---------------------------------------------------------------


def test_a_replica_without_a_policy_leaves_a_failed_pod_to_the_status_rule() -> None:
    failed = pod(0, "Failed")
    assert failed_pod_action(None, failed, "trainer") is FailedPodAction.NOTHING
    assert failed_pod_action(RestartPolicy.NEVER, failed, "trainer") is FailedPodAction.NOTHING
    assert failed_pod_action(RestartPolicy.ALWAYS, failed, "trainer") is FailedPodAction.RESTART


# --- TTL ------------------------------------------------------------------------------------------


def test_a_ttl_not_yet_reached_asks_to_look_again_when_it_is() -> None:
    assert ttl_decision(5, "2024-05-01T09:59:55Z", NOW) == TtlDecision(delete_job=True)
    assert ttl_decision(6, "2024-05-01T09:59:55Z", NOW) == TtlDecision(requeue_after=1.0)
    assert ttl_decision(10, "2024-05-01T09:59:55Z", NOW) == TtlDecision(requeue_after=5.0)


# --- cleanPodPolicy -------------------------------------------------------------------------------


def test_all_deletes_finished_pods_too() -> None:
    pods = [pod(0, "Succeeded"), pod(1, "Failed"), pod(2)]
    assert pods_to_clean(pods, CleanPodPolicy.ALL, finished=True) == pods


def test_running_deletes_running_and_pending_pods_only() -> None:
    pods = [pod(0, "Succeeded"), pod(1, "Pending"), pod(2), pod(3, "Failed")]
    assert [p.name for p in pods_to_clean(pods, CleanPodPolicy.RUNNING, finished=True)] == [
        "j-worker-1",
        "j-worker-2",
    ]


def test_an_unfinished_job_being_cleaned_loses_every_pod_whatever_the_policy() -> None:
    pods = [pod(0, "Succeeded"), pod(1)]
    for policy in (CleanPodPolicy.RUNNING, CleanPodPolicy.NONE, None):
        assert pods_to_clean(pods, policy, finished=False) == pods
