"""The verbs a framework's status rule uses (StatusDraft): what each one changes in the job's status, and the
events and counters it asks for (common.md §9, §10, §17.1)."""

from __future__ import annotations

from typing import Any

from training_operator.core import ReplicaCounts
from training_operator.core.engine.draft import JOBS_FAILED, JOBS_RESTARTED, JOBS_SUCCESSFUL, StatusDraft
from training_operator.core.engine.plan import Event, MetricIncrement
from training_operator.core.testing import TestFramework
from training_operator.core.testing.builders import a_job, a_pod

NOW = "2024-05-01T10:00:00Z"
EARLIER = "2024-05-01T09:00:00Z"
LABELS = {"job_namespace": "default", "framework": "test"}


def _draft(status: dict[str, Any] | None = None, **fields: Any) -> StatusDraft:
    job = TestFramework().parse(a_job(replicas={"Worker": 3, "PS": None}))
    return StatusDraft(job=job, status=status, now=NOW, framework_label="test", **fields)


def test_counts_read_the_replica_statuses_and_the_spec() -> None:
    draft = _draft({"replicaStatuses": {"Worker": {"active": 1, "succeeded": 2, "failed": 3}}})
    assert draft.counts("Worker") == ReplicaCounts(replicas=3, active=1, succeeded=2, failed=3)
    assert draft.counts("Worker").expected == 1


def test_absent_counts_are_zero_and_unset_replicas_mean_one() -> None:
    draft = _draft({"replicaStatuses": {"PS": {}}})
    assert draft.counts("PS") == ReplicaCounts(replicas=1, active=0, succeeded=0, failed=0)
    assert draft.counts("Chief") == ReplicaCounts(replicas=1, active=0, succeeded=0, failed=0)
    assert _draft(None).counts("Worker") == ReplicaCounts(replicas=3, active=0, succeeded=0, failed=0)


def test_replica_counts_default_to_zero_for_a_plugin_that_builds_them() -> None:
    counts = ReplicaCounts(replicas=4)
    assert (counts.active, counts.succeeded, counts.failed, counts.expected) == (0, 0, 0, 4)
    assert ReplicaCounts(replicas=4, succeeded=4).expected == 0
    assert ReplicaCounts(replicas=2, succeeded=1).expected == 1


def test_the_pod_at_a_slot_is_found_by_type_and_index() -> None:
    pod = a_pod("job-a", "Worker", 0)
    draft = _draft(pods={("Worker", 0): pod})
    assert draft.pod("Worker", 0) is pod
    assert draft.pod("Worker", 1) is None
    assert _draft().pod("Worker", 0) is None


def test_set_condition_says_whether_the_list_changed() -> None:
    draft = _draft()
    assert draft.set_condition("Running", "True", "TestJobRunning", "running") is True
    assert draft.set_condition("Running", "True", "TestJobRunning", "running") is False
    assert [c["type"] for c in draft.conditions] == ["Running"]
    assert draft.is_true("Running")
    assert not draft.finished


def test_the_draft_never_changes_the_stored_status() -> None:
    stored = {"conditions": [{"type": "Created", "status": "True", "reason": "r", "message": "m"}]}
    draft = _draft(stored)
    draft.set_condition("Running", "True", "TestJobRunning", "running")
    draft.mark_started()
    assert stored == {"conditions": [{"type": "Created", "status": "True", "reason": "r", "message": "m"}]}


def test_start_and_completion_times_are_set_once() -> None:
    draft = _draft({"startTime": EARLIER, "completionTime": EARLIER})
    draft.mark_started()
    draft.mark_completed()
    assert (draft.status["startTime"], draft.status["completionTime"]) == (EARLIER, EARLIER)
    fresh = _draft({"startTime": None})
    fresh.mark_started()
    fresh.mark_completed()
    assert (fresh.status["startTime"], fresh.status["completionTime"]) == (NOW, NOW)
    unset = _draft()
    unset.mark_started()
    assert unset.status["startTime"] == NOW


def test_succeed_records_a_normal_event_the_condition_the_time_and_the_counter() -> None:
    draft = _draft()
    draft.succeed("TestJobSucceeded", "done")
    assert draft.events == [Event("Normal", "TestJobSucceeded", "done")]
    assert draft.status["completionTime"] == NOW
    assert draft.is_true("Succeeded")
    assert draft.finished
    assert draft.metrics == [MetricIncrement(JOBS_SUCCESSFUL, LABELS)]


def test_fail_records_a_normal_event_as_upstream_does() -> None:
    draft = _draft()
    draft.fail("TestJobFailed", "broken")
    assert draft.events == [Event("Normal", "TestJobFailed", "broken")]
    assert draft.status["completionTime"] == NOW
    assert draft.is_true("Failed")
    assert draft.finished
    assert draft.metrics == [MetricIncrement(JOBS_FAILED, LABELS)]


def test_restart_records_a_warning_and_leaves_the_job_unfinished() -> None:
    draft = _draft()
    draft.restart("TestJobRestarting", "again")
    assert draft.events == [Event("Warning", "TestJobRestarting", "again")]
    assert "completionTime" not in draft.status
    assert draft.is_true("Restarting")
    assert not draft.finished
    assert draft.metrics == [MetricIncrement(JOBS_RESTARTED, LABELS)]


def test_restarting_at_start_remembers_the_stored_condition() -> None:
    restarting = {"conditions": [{"type": "Restarting", "status": "True", "reason": "r", "message": "m"}]}
    assert _draft(restarting).restarting_at_start is True
    assert _draft().restarting_at_start is False
