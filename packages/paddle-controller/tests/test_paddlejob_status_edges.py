"""PaddleJob status edges (frameworks.md §5.7): a failed pod counts only while the type is short of pods,
Never fails where every other policy restarts, the Masters alone decide in PS mode, and nothing runs with no
pod active."""

from typing import Any

import pytest

from training_operator.core.engine.draft import StatusDraft
from training_operator.core.testing.builders import a_job
from training_operator.paddle.plugin import FRAMEWORK
from training_operator.paddle.status import visit_order

NOW = "2024-05-01T10:00:00Z"
KIND = FRAMEWORK.kind
PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}
CREATED = {
    "type": "Created",
    "status": "True",
    "reason": "PaddleJobCreated",
    "message": "PaddleJob p is created.",
}


def job(replicas: dict[str, int], policy: str = "Never") -> Any:
    body = a_job(
        kind=KIND, name="p", replicas=replicas, restart_policy=policy, templates=dict.fromkeys(replicas, PD)
    )
    return FRAMEWORK.default(FRAMEWORK.parse(body))


def true_types(parsed: Any, counts: dict[str, Any]) -> list[str]:
    status = {"conditions": [CREATED], "replicaStatuses": counts}
    draft = StatusDraft(job=parsed, status=status, now=NOW, framework_label="paddle")
    FRAMEWORK.update_status(parsed, draft)
    return [c["type"] for c in draft.conditions if c["status"] == "True"]


@pytest.mark.parametrize(
    ("replicas", "counts", "failing"),
    [
        pytest.param(2, {"succeeded": 1, "active": 1, "failed": 1}, False, id="replaced"),
        pytest.param(1, {"active": 2, "failed": 1}, False, id="scaled-down"),
        pytest.param(4, {"succeeded": 1, "active": 2, "failed": 1}, True, id="one-short"),
        pytest.param(3, {"succeeded": 2, "failed": 1}, True, id="none-active"),
    ],
)
def test_a_failed_worker_counts_only_while_workers_are_missing(
    replicas: int, counts: dict[str, int], failing: bool
) -> None:
    outcome = true_types(job({"Worker": replicas}), {"Worker": counts})
    assert ("Failed" in outcome) is failing


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [("Never", "Failed"), ("Always", "Restarting"), ("OnFailure", "Restarting"), ("ExitCode", "Restarting")],
)
def test_never_fails_every_other_policy_restarts(policy: str, outcome: str) -> None:
    assert true_types(job({"Worker": 2}, policy), {"Worker": {"active": 1, "failed": 1}})[-1] == outcome


def test_in_ps_mode_the_workers_success_does_not_finish_the_job() -> None:
    ps = job({"Master": 2, "Worker": 2})
    assert true_types(ps, {"Master": {"active": 2}, "Worker": {"succeeded": 2}}) == ["Created", "Running"]
    assert true_types(ps, {"Master": {"active": 1}, "Worker": {"active": 2}}) == ["Created", "Running"]


def test_no_active_pod_is_not_running() -> None:
    assert true_types(job({"Master": 1, "Worker": 2}), {"Master": {}, "Worker": {"active": 2}}) == ["Created"]
    assert true_types(job({"Worker": 2}), {"Worker": {}}) == ["Created"]
    assert true_types(job({"Worker": 2}), {"Worker": {"active": 1}}) == ["Created", "Running"]


def test_master_is_visited_before_worker_whatever_the_map_order() -> None:
    # any other key is refused by validation (test_invalid_paddlejobs_are_rejected), so none reaches here
    raw = a_job(kind=KIND, replicas={"Worker": 1, "Master": 1})
    assert visit_order(FRAMEWORK.parse(raw)) == ["Master", "Worker"]
    assert visit_order(FRAMEWORK.parse(a_job(kind=KIND, replicas={"Worker": 2}))) == ["Worker"]
