"""Warnings about unhealthy active pods (common.md §16.2), and the texts of the engine's own events (§1.7)."""

from __future__ import annotations

from training_operator.core.engine import events
from training_operator.core.engine.observed import ContainerRecord, PodConditionRecord, PodRecord
from training_operator.core.engine.plan import Event


def _crashed(name: str = "tensorflow", code: int = 1) -> ContainerRecord:
    return ContainerRecord(name, exit_code=code, terminated_reason="Error", terminated_message="boom")


def test_a_container_that_exited_non_zero_is_a_warning_with_its_reason() -> None:
    pod = PodRecord("job-worker-0", phase="Running", containers=(_crashed(code=137),))
    assert events.abnormal_pod_events([pod]) == [
        Event(
            "Warning",
            "Error",
            "Error pod job-worker-0 container tensorflow exitCode: 137 terminated message: boom",
        )
    ]


def test_exit_code_zero_and_a_running_container_are_not_abnormal() -> None:
    pod = PodRecord(
        "job-worker-0",
        phase="Running",
        containers=(ContainerRecord("sidecar", exit_code=0), ContainerRecord("tensorflow", running=True)),
    )
    assert events.abnormal_pod_events([pod]) == []


def test_exit_code_one_and_a_negative_windows_code_are_abnormal_too() -> None:
    """Any non-zero code counts; Windows reports NTSTATUS codes as negative int32 (0xC000013A)."""
    pod = PodRecord(
        "job-worker-0",
        phase="Running",
        containers=(_crashed("a", 1), _crashed("b", -1073741510), _crashed("c", -1)),
    )
    codes = [e.message.split("exitCode: ")[1].split(" ")[0] for e in events.abnormal_pod_events([pod])]
    assert codes == ["1", "-1073741510", "-1"]


def test_a_waiting_container_with_a_message_is_a_warning_and_one_without_is_not() -> None:
    pod = PodRecord(
        "job-worker-1",
        phase="Pending",
        containers=(
            ContainerRecord(
                "tensorflow", waiting_reason="ImagePullBackOff", waiting_message="Back-off pulling"
            ),
            ContainerRecord("sidecar", waiting_reason="ContainerCreating"),
        ),
    )
    assert events.abnormal_pod_events([pod]) == [
        Event(
            "Warning",
            "ImagePullBackOff",
            "Error pod job-worker-1 container tensorflow waiting message: Back-off pulling",
        )
    ]


def test_init_containers_are_looked_at_only_when_no_container_reported() -> None:
    init = (_crashed("init"),)
    only_init = PodRecord("p0", phase="Pending", init_containers=init)
    both = PodRecord("p1", phase="Pending", containers=(ContainerRecord("main"),), init_containers=init)
    found = events.abnormal_pod_events([only_init, both])
    assert [e.message for e in found] == ["Error pod p0 container init exitCode: 1 terminated message: boom"]


def test_finished_and_deleting_pods_are_skipped_without_hiding_the_pods_after_them() -> None:
    pods = [
        PodRecord("done", phase="Succeeded", containers=(_crashed(),)),
        PodRecord("failed", phase="Failed", containers=(_crashed(),)),
        PodRecord("going", phase="Running", deleting=True, containers=(_crashed(),)),
        PodRecord("active", phase="Running", containers=(_crashed(),)),
    ]
    assert [e.message.split(" ")[2] for e in events.abnormal_pod_events(pods)] == ["active"]


def test_a_deleting_pod_is_skipped_in_any_phase() -> None:
    pods = [PodRecord("p", phase="Pending", deleting=True, containers=(_crashed(),))]
    assert events.abnormal_pod_events(pods) == []


def _condition(kind: str, status: str, at: str, reason: str = "", message: str = "") -> PodConditionRecord:
    return PodConditionRecord(kind, status, reason, message, at)


def test_without_container_statuses_the_latest_condition_decides() -> None:
    unschedulable = PodRecord(
        "p",
        phase="Pending",
        conditions=(
            _condition("Initialized", "True", "2024-01-01T00:00:00Z"),
            _condition(
                "PodScheduled", "False", "2024-01-01T00:00:05Z", "Unschedulable", "0/3 nodes are available"
            ),
        ),
    )
    assert events.abnormal_pod_events([unschedulable]) == [
        Event("Warning", "Unschedulable", "Error pod p condition message: 0/3 nodes are available")
    ]


def test_a_latest_condition_that_is_true_or_older_false_ones_raise_nothing() -> None:
    recovered = PodRecord(
        "p",
        phase="Pending",
        conditions=(
            _condition("PodScheduled", "False", "2024-01-01T00:00:00Z", "Unschedulable", "old"),
            _condition("PodScheduled", "True", "2024-01-01T00:00:09Z"),
        ),
    )
    assert events.abnormal_pod_events([recovered]) == []


def test_an_unknown_condition_status_is_not_true_so_it_warns() -> None:
    lost = PodRecord(
        "p",
        phase="Running",
        conditions=(_condition("Ready", "Unknown", "2024-01-01T00:00:00Z", "NodeLost", "gone"),),
    )
    assert events.abnormal_pod_events([lost]) == [
        Event("Warning", "NodeLost", "Error pod p condition message: gone")
    ]


def test_a_pod_with_nothing_reported_raises_nothing() -> None:
    assert events.abnormal_pod_events([PodRecord("p", phase="Pending")]) == []


def test_the_engine_messages_read_as_upstream_writes_them() -> None:
    assert events.reason("TFJob", "Running") == "TFJobRunning"
    assert events.created_message("TFJob", "a") == "TFJob a is created."
    assert events.suspended_message("TFJob", "a") == "TFJob a is suspended."
    assert events.resumed_message("TFJob", "a") == "TFJob a is resumed."
    assert events.restarting_message("a", "Worker") == "job a is restarting because Worker replica(s) failed."
    assert (
        events.exit_code_failed_message("a", "Worker")
        == 'job "a" is failing because "Worker" replica(s) failed.'
    )
    assert (
        events.backoff_message("a") == "Job a has failed because it has reached the specified backoff limit"
    )
    assert (
        events.deadline_message("a")
        == "Job a has failed because it was active longer than specified deadline"
    )
    pod = PodRecord("a-worker-0")
    assert events.exited_with_code("ns", pod, 3) == Event(
        "Normal", "ExitedWithCode", "Pod: ns.a-worker-0 exited with code 3"
    )
