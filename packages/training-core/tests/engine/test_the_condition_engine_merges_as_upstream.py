"""The condition engine (common.md §8, acceptance 19–20; mpi.md §10.1).

Covers: the acceptance-19 sequence (Restarting and Running replace each other in place of order, Failed
flips Running to False in place and is appended last, then nothing changes); a new message with the same
reason changes nothing (acceptance 20); `lastTransitionTime` is kept when only the reason changes and
`lastUpdateTime` moves; a status change moves both; Failed leaves a True Restarting alone; Succeeded flips
Running but not an earlier Failed, unless the MPI variant asks (which also lets conditions change after
Failed); the predicates read only status "True".
"""

import pytest

from training_operator.core.engine import conditions

T1, T2, T3 = "2024-05-01T10:00:00Z", "2024-05-01T10:01:00Z", "2024-05-01T10:02:00Z"


def put(listed, type_, status, reason, message="m", now=T1, **rules):
    new = conditions.set_condition(
        listed, type_=type_, status=status, reason=reason, message=message, now=now, **rules
    )
    return listed if new is None else new


def shape(listed):
    return [(c["type"], c["status"], c["reason"]) for c in listed]


def test_acceptance_19_sequence():
    listed = put([], "Created", "True", "JobCreated")
    listed = put(listed, "Running", "True", "JobRunning", "running")
    assert shape(listed) == [("Created", "True", "JobCreated"), ("Running", "True", "JobRunning")]
    listed = put(listed, "Restarting", "True", "JobRestarting")
    assert shape(listed) == [("Created", "True", "JobCreated"), ("Restarting", "True", "JobRestarting")]
    listed = put(listed, "Running", "True", "JobRunning", "running again", now=T2)
    assert shape(listed) == [("Created", "True", "JobCreated"), ("Running", "True", "JobRunning")]
    listed = put(listed, "Failed", "True", "JobFailed", now=T3)
    assert shape(listed) == [
        ("Created", "True", "JobCreated"),
        ("Running", "False", "JobRunning"),
        ("Failed", "True", "JobFailed"),
    ]
    running = listed[1]
    assert (running["message"], running["lastUpdateTime"], running["lastTransitionTime"]) == (
        "running again",
        T2,
        T2,
    )  # flipped in place: reason, message and times untouched
    for later in ("Succeeded", "Running", "Restarting", "Created"):
        assert (
            conditions.set_condition(listed, type_=later, status="True", reason="X", message="", now=T3)
            is None
        )


def test_acceptance_20_same_reason_new_message_changes_nothing():
    listed = put([], "Running", "True", "JobRunning", "first", now=T1)
    assert (
        conditions.set_condition(
            listed, type_="Running", status="True", reason="JobRunning", message="second", now=T2
        )
        is None
    )


def test_only_the_reason_changing_keeps_the_transition_time():
    listed = put([], "Running", "True", "JobRunning", now=T1)
    listed = put(listed, "Running", "True", "OtherReason", "new", now=T2)
    [running] = listed
    assert (running["reason"], running["message"]) == ("OtherReason", "new")
    assert (running["lastTransitionTime"], running["lastUpdateTime"]) == (T1, T2)


def test_a_status_change_moves_both_times():
    listed = put([], "Suspended", "True", "JobSuspended", now=T1)
    listed = put(listed, "Suspended", "False", "JobResumed", now=T2)
    [suspended] = listed
    assert (suspended["lastTransitionTime"], suspended["lastUpdateTime"]) == (T2, T2)


def test_failed_leaves_restarting_alone():
    listed = put([], "Created", "True", "JobCreated")
    listed = put(listed, "Restarting", "True", "JobRestarting")
    listed = put(listed, "Failed", "True", "JobFailed")
    assert shape(listed) == [
        ("Created", "True", "JobCreated"),
        ("Restarting", "True", "JobRestarting"),
        ("Failed", "True", "JobFailed"),
    ]


def test_succeeded_flips_running_but_not_an_earlier_failed_in_the_v1_engine():
    listed = [
        {"type": "Running", "status": "True", "reason": "R"},
        {"type": "Failed", "status": "False", "reason": "F"},
    ]
    listed = put(listed, "Succeeded", "True", "JobSucceeded")
    assert shape(listed) == [
        ("Running", "False", "R"),
        ("Failed", "False", "F"),
        ("Succeeded", "True", "JobSucceeded"),
    ]


def test_the_mpi_variant_changes_after_failed_and_flips_it_when_finishing():
    rules = {"failed_is_terminal": False, "finishing_flips_failed": True}
    listed = put([], "Failed", "True", "MPIJobEvicted", **rules)
    listed = put(listed, "Succeeded", "True", "MPIJobSucceeded", **rules)
    assert shape(listed) == [("Failed", "False", "MPIJobEvicted"), ("Succeeded", "True", "MPIJobSucceeded")]


@pytest.mark.parametrize(
    ("listed", "finished", "running"),
    [
        pytest.param([], False, False, id="empty"),
        pytest.param([{"type": "Running", "status": "True"}], False, True, id="running"),
        pytest.param([{"type": "Running", "status": "False"}], False, False, id="running-false"),
        pytest.param([{"type": "Succeeded", "status": "True"}], True, False, id="succeeded"),
        pytest.param([{"type": "Failed", "status": "True"}], True, False, id="failed"),
        pytest.param([{"type": "Failed", "status": "Unknown"}], False, False, id="failed-unknown"),
    ],
)
def test_predicates_read_only_true(listed, finished, running):
    assert conditions.is_finished(listed) is finished
    assert conditions.is_true(listed, "Running") is running
