"""When an XGBoostJob is Running, Succeeded, Restarting or Failed (frameworks.md §4.7, acceptance XG-6).

Covers: the Master alone decides Running and Succeeded (worker success is irrelevant); success sets Running
first and then flips it to False; the failure branch sets Running before Restarting (ExitCode) or Failed
(any other policy), so a Restarting condition left by the engine is replaced; an OnFailure pod that reached
phase Failed fails the job (quirk F13, replicated); the Master is visited first, so its success wins over a
failed worker in the same pass; startTime, completionTime, events and job counters.
"""

from typing import Any

import pytest

from training_operator.core.engine.draft import JOBS_FAILED, JOBS_RESTARTED, JOBS_SUCCESSFUL, StatusDraft
from training_operator.xgboost.plugin import FRAMEWORK

NOW = "2024-05-01T10:00:00Z"
NAME = "xgboost-dist-iris-test-train"
CREATED = {
    "type": "Created",
    "status": "True",
    "reason": "XGBoostJobCreated",
    "message": f"XGBoostJob {NAME} is created.",
}
RESTARTING = {
    "type": "Restarting",
    "status": "True",
    "reason": "XGBoostJobRestarting",
    "message": f"job {NAME} is restarting because Worker replica(s) failed.",
}
XG = {"spec": {"containers": [{"name": "xgboost", "image": "xgb:1"}]}}


def xgboostjob(master_policy: str = "Never", worker_policy: str = "ExitCode") -> dict[str, Any]:
    """XG-1: Master 1 (Never) + Worker 2 (ExitCode) unless told otherwise."""
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "XGBoostJob",
        "metadata": {"name": NAME, "namespace": "default"},
        "spec": {
            "xgbReplicaSpecs": {
                "Master": {"replicas": 1, "restartPolicy": master_policy, "template": XG},
                "Worker": {"replicas": 2, "restartPolicy": worker_policy, "template": XG},
            }
        },
    }


def decide(
    body: dict[str, Any], counts: dict[str, Any], conditions: list[dict[str, Any]] | None = None
) -> StatusDraft:
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    stored = {"conditions": conditions or [CREATED], "replicaStatuses": counts}
    draft = StatusDraft(job=job, status=stored, now=NOW, framework_label="xgboost")
    FRAMEWORK.update_status(job, draft)
    return draft


def summary(draft: StatusDraft) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c["reason"]) for c in draft.conditions]


RUNNING_MSG = f"XGBoostJob {NAME} is running."

DECISIONS = [
    pytest.param(
        xgboostjob(),
        {"Master": {"active": 1}, "Worker": {"active": 2}},
        [CREATED],
        [("Created", "True", "XGBoostJobCreated"), ("Running", "True", "XGBoostJobRunning")],
        ("Running", RUNNING_MSG),
        id="XG-6-master-running",
    ),
    pytest.param(
        xgboostjob(),
        {"Master": {"succeeded": 1}, "Worker": {"active": 2}},
        [CREATED],
        [
            ("Created", "True", "XGBoostJobCreated"),
            ("Running", "False", "XGBoostJobRunning"),
            ("Succeeded", "True", "XGBoostJobSucceeded"),
        ],
        ("Succeeded", f"XGBoostJob {NAME} is successfully completed."),
        id="XG-6-master-succeeded-workers-running",
    ),
    pytest.param(
        xgboostjob(),
        {"Worker": {"active": 1, "failed": 1}},
        [CREATED, RESTARTING],
        [("Created", "True", "XGBoostJobCreated"), ("Restarting", "True", "XGBoostJobRestarting")],
        ("Restarting", f"XGBoostJob {NAME} is restarting because 1 Worker replica(s) failed."),
        id="XG-6-worker-exit-137-master-pending",
    ),
    pytest.param(
        xgboostjob(),
        {"Master": {"failed": 1}, "Worker": {"active": 2}},
        [CREATED],
        [
            ("Created", "True", "XGBoostJobCreated"),
            ("Running", "False", "XGBoostJobRunning"),
            ("Failed", "True", "XGBoostJobFailed"),
        ],
        ("Failed", f"XGBoostJob {NAME} is failed because 1 Master replica(s) failed."),
        id="XG-6-master-failed-never",
    ),
    pytest.param(
        xgboostjob(worker_policy="OnFailure"),
        {"Master": {"active": 1}, "Worker": {"active": 1, "failed": 1}},
        [CREATED, RESTARTING],
        [
            ("Created", "True", "XGBoostJobCreated"),
            ("Running", "False", "XGBoostJobRunning"),
            ("Failed", "True", "XGBoostJobFailed"),
        ],
        ("Failed", f"XGBoostJob {NAME} is failed because 1 Worker replica(s) failed."),
        id="F13-on-failure-pod-in-phase-failed-fails-the-job",
    ),
    pytest.param(
        xgboostjob(),
        {"Master": {"active": 1}, "Worker": {"succeeded": 2}},
        [CREATED],
        [("Created", "True", "XGBoostJobCreated"), ("Running", "True", "XGBoostJobRunning")],
        ("Running", RUNNING_MSG),
        id="workers-succeeding-do-not-end-the-job",
    ),
    pytest.param(
        xgboostjob(worker_policy="Never"),
        {"Master": {"succeeded": 1}, "Worker": {"failed": 1, "active": 1}},
        [CREATED],
        [
            ("Created", "True", "XGBoostJobCreated"),
            ("Running", "False", "XGBoostJobRunning"),
            ("Succeeded", "True", "XGBoostJobSucceeded"),
        ],
        ("Succeeded", f"XGBoostJob {NAME} is successfully completed."),
        id="master-visited-first-success-wins",
    ),
]


@pytest.mark.parametrize(("body", "counts", "stored", "conditions", "last"), DECISIONS)
def test_conditions(body, counts, stored, conditions, last):
    draft = decide(body, counts, stored)
    assert summary(draft) == conditions
    assert (draft.conditions[-1]["type"], draft.conditions[-1]["message"]) == last


def test_permanent_exit_code_failure_is_terminal():
    failed = {
        "type": "Failed",
        "status": "True",
        "reason": "XGBoostJobFailed",
        "message": f'job "{NAME}" is failing because "Worker" replica(s) failed.',
    }
    draft = decide(xgboostjob(), {"Worker": {"active": 1, "failed": 1}}, [CREATED, failed])
    assert draft.conditions == [CREATED, failed]


def test_success_sets_times_event_and_counter():
    draft = decide(xgboostjob(), {"Master": {"succeeded": 1}})
    assert (draft.status["startTime"], draft.status["completionTime"]) == (NOW, NOW)
    assert [(e.type, e.reason, e.message) for e in draft.events] == [
        ("Normal", "XGBoostJobSucceeded", f"XGBoostJob {NAME} is successfully completed.")
    ]
    assert [(m.name, dict(m.labels)) for m in draft.metrics] == [
        (JOBS_SUCCESSFUL, {"job_namespace": "default", "framework": "xgboost"})
    ]


def test_failure_sets_completion_time_event_and_counter():
    draft = decide(xgboostjob(), {"Master": {"failed": 1}})
    assert draft.status["completionTime"] == NOW
    assert [(e.type, e.reason) for e in draft.events] == [("Normal", "XGBoostJobFailed")]
    assert [m.name for m in draft.metrics] == [JOBS_FAILED]


def test_restart_leaves_the_job_open_and_counts_a_restart():
    draft = decide(xgboostjob(), {"Worker": {"failed": 1}})
    assert "completionTime" not in draft.status
    assert [(e.type, e.reason) for e in draft.events] == [("Warning", "XGBoostJobRestarting")]
    assert [m.name for m in draft.metrics] == [JOBS_RESTARTED]


def test_nothing_running_yet_only_sets_start_time():
    draft = decide(xgboostjob(), {})
    assert (draft.conditions, draft.status["startTime"], draft.events) == ([CREATED], NOW, [])


@pytest.mark.parametrize(
    ("policy", "outcome"), [("Always", "Failed"), ("OnFailure", "Failed"), ("ExitCode", "Restarting")]
)
def test_a_failed_worker_fails_the_job_unless_its_policy_is_exit_code(policy: str, outcome: str) -> None:
    """F13: Always and OnFailure pods seen Failed fail the job although the engine recreates them."""
    draft = decide(xgboostjob(worker_policy=policy), {"Master": {"active": 1}, "Worker": {"failed": 1}})
    assert summary(draft)[-1] == (outcome, "True", f"XGBoostJob{outcome}")
