"""The judge of the fault suite can convict: the ledger sees a condition leaving True without a successor
(Created gone, Succeeded gone, Running gone with nothing after it) but accepts the transitions the condition
engine makes (Running ↔ Restarting, Running → False on finishing); it counts a child re-created under the same
name twice; and it fires a trigger inside the commit of the Nth change."""

import pytest

from training_operator.local.storage import Change

pytestmark = pytest.mark.faults


def _job(uid: str, *conditions: tuple[str, str]) -> Change:
    body = {
        "metadata": {"name": "job", "uid": uid},
        "status": {"conditions": [{"type": t, "status": s} for t, s in conditions]},
    }
    return Change("MODIFIED", "kubeflow.org/tfjobs", body, None, 1)


def _pod(name: str, uid: str, owner: str) -> Change:
    meta = {"name": name, "uid": uid, "ownerReferences": [{"uid": owner, "controller": True}]}
    return Change("ADDED", "/pods", {"metadata": meta}, None, 1)


@pytest.mark.parametrize(
    ("history", "regressed"),
    [
        pytest.param([[("Created", "True")], []], ["Created"], id="created-vanishes"),
        pytest.param(
            [[("Running", "True")], [("Running", "False")]], ["Running"], id="running-false-for-nothing"
        ),
        pytest.param([[("Succeeded", "True")], [("Running", "True")]], ["Succeeded"], id="succeeded-undone"),
        pytest.param(
            [[("Running", "True")], [("Restarting", "True")], [("Running", "True")]], [], id="restart"
        ),
        pytest.param([[("Running", "True")], [("Running", "False"), ("Succeeded", "True")]], [], id="finish"),
    ],
)
def test_regressions_are_found_and_allowed_moves_are_not(ledger_factory, history, regressed):
    ledger = ledger_factory()
    for conditions in history:
        ledger(_job("u", *conditions))
    assert [line.split(": ")[1].split()[0] for line in ledger.regressions("u")] == regressed


def test_a_recreated_child_counts_twice_and_triggers_fire_in_the_commit(ledger_factory):
    ledger = ledger_factory()
    fired: list[int] = []
    ledger.at_change(2, lambda: fired.append(ledger.changes))
    ledger(_pod("job-worker-0", "a", "u"))
    assert fired == []
    ledger(_pod("job-worker-0", "b", "u"))
    ledger(_pod("other-worker-0", "c", "v"))
    assert fired == [2]
    assert ledger.children("u") == {"pods/job-worker-0": 2}
