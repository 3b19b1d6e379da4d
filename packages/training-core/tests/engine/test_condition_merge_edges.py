"""The condition engine's edges (common.md §8, mpi.md §10.1) that a user reads in `status.conditions`: which
change is a change, when lastTransitionTime moves, and which other conditions a finish flips to False."""

from __future__ import annotations

from typing import Any

from training_operator.core.engine.conditions import set_condition

T0, T1 = "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z"


def c(type_: str, status: str = "True", reason: str = "R", at: str = T0) -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": "m",
        "lastUpdateTime": at,
        "lastTransitionTime": at,
    }


def merged(
    conditions: list[dict[str, Any]], type_: str, status: str, reason: str = "R", **rules: bool
) -> Any:
    return set_condition(
        conditions, type_=type_, status=status, reason=reason, message="new", now=T1, **rules
    )


def summary(conditions: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    assert conditions is not None
    return [(x["type"], x["status"]) for x in conditions]


def test_a_status_change_with_the_same_reason_is_a_change_both_ways() -> None:
    assert summary(merged([c("Running", "False")], "Running", "True")) == [("Running", "True")]
    assert summary(merged([c("Running", "True")], "Running", "False")) == [("Running", "False")]


def test_a_new_reason_with_the_same_status_is_a_change_whatever_its_spelling() -> None:
    for reason in ("A", "Z"):
        (new,) = merged([c("Running", reason="M")], "Running", "True", reason)
        assert (new["reason"], new["message"], new["lastTransitionTime"]) == (reason, "new", T0)


def test_the_transition_time_moves_only_when_the_status_does() -> None:
    (up,) = merged([c("Running", "False")], "Running", "True", "Other")
    assert (up["lastTransitionTime"], up["lastUpdateTime"]) == (T1, T1)
    (down,) = merged([c("Running", "True")], "Running", "False", "Other")
    assert down["lastTransitionTime"] == T1


def test_resuming_moves_running_to_the_end_and_keeps_what_follows_it() -> None:
    before = [c("Created"), c("Running", "False", "Suspended"), c("Suspended", "False", "Resumed")]
    assert summary(merged(before, "Running", "True", "Running")) == [
        ("Created", "True"),
        ("Suspended", "False"),
        ("Running", "True"),
    ]


def test_finishing_flips_only_running_to_false() -> None:
    before = [c("Created"), c("Suspended"), c("Running"), c("Succeeded")]
    assert summary(merged(before, "Failed", "True")) == [
        ("Created", "True"),
        ("Suspended", "True"),
        ("Running", "False"),
        ("Succeeded", "True"),
        ("Failed", "True"),
    ]


def test_mpi_finishing_flips_failed_too_but_nothing_else() -> None:
    before = [c("Created"), c("Restarting"), c("Suspended"), c("Failed")]
    rules = {"failed_is_terminal": False, "finishing_flips_failed": True}
    assert summary(merged(before, "Succeeded", "True", **rules)) == [
        ("Created", "True"),
        ("Restarting", "True"),
        ("Suspended", "True"),
        ("Failed", "False"),
        ("Succeeded", "True"),
    ]


def test_a_v1_failed_condition_that_is_false_is_left_alone_when_succeeding() -> None:
    before = [c("Created"), c("Failed", "False")]
    assert summary(merged(before, "Succeeded", "True")) == [
        ("Created", "True"),
        ("Failed", "False"),
        ("Succeeded", "True"),
    ]


def test_running_after_a_restart_and_a_suspension_drops_only_restarting() -> None:
    before = [c("Created"), c("Restarting"), c("Suspended", "False", "Resumed")]
    assert summary(merged(before, "Running", "True", "Running")) == [
        ("Created", "True"),
        ("Suspended", "False"),
        ("Running", "True"),
    ]
