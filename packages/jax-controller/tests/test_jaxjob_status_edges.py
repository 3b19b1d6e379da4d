"""JAXJob status (frameworks.md §6.4): a failed Worker counts only while Workers are missing, Never fails
where every other policy restarts, no Running without an active Worker; NUM_PROCESSES skips unset counts
(§6.3)."""

from typing import Any

import pytest

from training_operator.core.engine.draft import StatusDraft
from training_operator.core.testing.builders import a_job
from training_operator.jax.env import num_processes
from training_operator.jax.plugin import FRAMEWORK

NOW = "2024-05-01T10:00:00Z"
KIND = FRAMEWORK.kind
JAX = {"spec": {"containers": [{"name": "jax", "image": "jax:1"}]}}
CREATED = {"type": "Created", "status": "True", "reason": "JAXJobCreated", "message": "JAXJob j is created."}


def job(replicas: int, policy: str = "Never") -> Any:
    body = a_job(
        kind=KIND, name="j", replicas={"Worker": replicas}, restart_policy=policy, templates={"Worker": JAX}
    )
    return FRAMEWORK.default(FRAMEWORK.parse(body))


def true_types(parsed: Any, counts: dict[str, Any]) -> list[str]:
    status = {"conditions": [CREATED], "replicaStatuses": {"Worker": counts}}
    draft = StatusDraft(job=parsed, status=status, now=NOW, framework_label="jax")
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
    assert ("Failed" in true_types(job(replicas), counts)) is failing


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [("Never", "Failed"), ("Always", "Restarting"), ("OnFailure", "Restarting"), ("ExitCode", "Restarting")],
)
def test_never_fails_every_other_policy_restarts(policy: str, outcome: str) -> None:
    assert true_types(job(2, policy), {"active": 1, "failed": 1})[-1] == outcome


def test_no_active_worker_is_not_running() -> None:
    assert true_types(job(2), {}) == ["Created"]
    assert true_types(job(2), {"active": 1}) == ["Created", "Running"]


def test_num_processes_skips_unset_replica_counts() -> None:
    raw = a_job(kind=KIND, replicas={"Worker": None}, templates={"Worker": JAX})
    assert num_processes(FRAMEWORK.parse(raw)) == 0
    raw = a_job(kind=KIND, replicas={"Worker": 3}, templates={"Worker": JAX})
    assert num_processes(FRAMEWORK.parse(raw)) == 3
