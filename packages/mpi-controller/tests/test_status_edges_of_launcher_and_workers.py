"""MPIJob status edges (mpi.md §10): only a True launcher-Job condition counts, the newest failed pod's detail
is added to BackoffLimitExceeded only, a plain worker failure is no eviction, and Running needs a Running
launcher pod and every worker Running."""

import pytest

from training_operator.mpi.testing import (
    a_job,
    a_pod,
    existing,
    launcher_record,
    merged,
    status_of,
    sync,
    with_status,
    workers,
)


def started(worker_phase: str = "Running", launcher_phase: str = "Running", count: int = 2):  # type: ignore[no-untyped-def]
    job = a_job()
    first = sync(job)
    pods = [*workers(count, phase=worker_phase), launcher(launcher_phase)]
    return with_status(job, first), merged(existing(first), pods=pods, objects=[launcher_record()])


def launcher(phase: str, **fields):  # type: ignore[no-untyped-def]
    return a_pod(f"pi-launcher-{phase.lower()}", role="launcher", owner="uid-launcher", phase=phase, **fields)


def true_types(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [c["type"] for c in status_of(plan)["conditions"] if c["status"] == "True"]


@pytest.mark.parametrize("status", ["False", "Unknown"])
def test_a_launcher_job_condition_that_is_not_true_decides_nothing(status: str) -> None:
    job, observed = started()
    for kind in ("Complete", "Failed"):
        record = launcher_record(
            conditions=[{"type": kind, "status": status, "reason": "BackoffLimitExceeded"}]
        )
        plan = sync(job, merged(observed, objects=[record]))
        assert true_types(plan) == ["Created", "Running"]


def test_a_deadline_failure_keeps_the_jobs_reason_whatever_pods_failed() -> None:
    job, observed = started()
    failed_pod = launcher("Failed", reason="Error", message="boom")
    deadline = {"type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "too long"}
    plan = sync(job, merged(observed, pods=[failed_pod], objects=[launcher_record(conditions=[deadline])]))
    failure = next(c for c in status_of(plan)["conditions"] if c["type"] == "Failed")
    assert (failure["reason"], failure["message"]) == ("DeadlineExceeded", "too long")


def test_a_backoff_failure_names_the_newest_failed_pod_not_a_newer_running_one() -> None:
    job, observed = started()
    failed_pod = launcher("Failed", reason="Error", message="boom", created="2025-01-01T00:00:00Z")
    still_running = launcher("Running", reason="", message="", created="2025-01-01T00:09:00Z")
    backoff = {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded", "message": "limit"}
    plan = sync(
        job,
        merged(observed, pods=[failed_pod, still_running], objects=[launcher_record(conditions=[backoff])]),
    )
    failure = next(c for c in status_of(plan)["conditions"] if c["type"] == "Failed")
    assert (failure["reason"], failure["message"]) == ("BackoffLimitExceeded/Error", "limit: boom")


@pytest.mark.parametrize("reason", ["", "Error", "OOMKilled", "DeadlineExceeded"])
def test_a_worker_that_failed_for_another_reason_is_not_an_eviction(reason: str) -> None:
    job, observed = started()
    plan = sync(job, merged(observed, pods=[a_pod("pi-worker-1", index=1, phase="Failed", reason=reason)]))
    assert "Failed" not in true_types(plan)
    assert status_of(plan)["replicaStatuses"]["Worker"] == {"active": 1, "failed": 1}


@pytest.mark.parametrize("phase", ["Pending", "Succeeded"])
def test_running_needs_a_running_launcher_pod(phase: str) -> None:
    job, observed = started(launcher_phase=phase)
    plan = sync(job, observed)
    assert "Running" not in true_types(plan)
    assert status_of(plan)["replicaStatuses"]["Launcher"] == {}


@pytest.mark.parametrize("phase", ["Succeeded", "Unknown"])
def test_running_needs_every_worker_running(phase: str) -> None:
    job, observed = started()
    plan = sync(job, merged(observed, pods=[a_pod("pi-worker-1", index=1, phase=phase)]))
    assert "Running" not in true_types(plan)
