"""When a TFJob is Running, Succeeded, Restarting or Failed (frameworks.md §1.7, acceptance TF-7 to TF-9).

Covers: a Chief/Master decides Running and Succeeded; without one the Worker type does, and worker 0
Succeeded with the `tensorflow` container's exit code 0 is enough unless `successPolicy: AllWorkers` (quirk
F5: no terminated state, another exit code or another index is not enough); the visit continues after success,
so Failed is appended after Succeeded (quirk F1); Evaluators never drive success but their failures count
(quirk F3); `enableDynamicWorker` ignores Worker failures only; a Restarting condition present when the step
begins is kept and counted instead of failing; `replicas: 0` succeeds at once; a PS-only job never runs;
startTime, completionTime, events and job counters.
"""

from typing import Any

import pytest

from training_operator.core.engine.draft import JOBS_FAILED, JOBS_RESTARTED, JOBS_SUCCESSFUL, StatusDraft
from training_operator.core.engine.observed import ContainerRecord, PodRecord
from training_operator.core.testing.builders import a_job, a_pod
from training_operator.tf.plugin import FRAMEWORK

NOW = "2024-05-01T10:00:00Z"
KIND = FRAMEWORK.kind
CREATED = {"type": "Created", "status": "True", "reason": "TFJobCreated", "message": "TFJob x is created."}


def running(name: str) -> tuple[str, str, str, str]:
    return ("Running", "True", "TFJobRunning", f"TFJob default/{name} is running.")


def succeeded(name: str) -> tuple[str, str, str, str]:
    return ("Succeeded", "True", "TFJobSucceeded", f"TFJob default/{name} successfully completed.")


def failed(name: str, count: int, replica_type: str) -> tuple[str, str, str, str]:
    message = f"TFJob default/{name} has failed because {count} {replica_type} replica(s) failed."
    return ("Failed", "True", "TFJobFailed", message)


def worker0(
    exit_code: int | None = 0, *, phase: str = "Succeeded", container: str = "tensorflow"
) -> PodRecord:
    return a_pod(
        "s",
        "Worker",
        0,
        kind=KIND,
        phase=phase,
        containers=(ContainerRecord(container, exit_code=exit_code),),
    )


def decide(
    name: str,
    replicas: dict[str, int],
    counts: dict[str, Any],
    *,
    conditions: list[dict[str, Any]] | None = None,
    pods: dict[tuple[str, int], PodRecord] | None = None,
    **spec: Any,
) -> StatusDraft:
    body = a_job(kind=KIND, name=name, replicas=replicas, restart_policy="Never", spec=spec)
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    stored = {"conditions": conditions or [CREATED], "replicaStatuses": counts}
    draft = StatusDraft(job=job, status=stored, now=NOW, framework_label="tensorflow", pods=pods)
    FRAMEWORK.update_status(job, draft)
    return draft


def last(draft: StatusDraft) -> tuple[str, str, str, str]:
    c = draft.conditions[-1]
    return (c["type"], c["status"], c["reason"], c["message"])


def without_created(draft: StatusDraft) -> list[tuple[str, str, str, str]]:
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in draft.conditions[1:]]


S4 = {"Worker": 4}
RUNNING_123 = {"Worker": {"active": 3, "succeeded": 1}}

DECISIONS = [
    pytest.param(
        "s", S4, RUNNING_123, {("Worker", 0): worker0()}, {}, succeeded("s"), id="TF-7-worker-0-done"
    ),
    pytest.param(
        "s",
        S4,
        RUNNING_123,
        {("Worker", 0): worker0()},
        {"successPolicy": "AllWorkers"},
        running("s"),
        id="TF-7-all-workers-keeps-running",
    ),
    pytest.param(
        "s", S4, RUNNING_123, {("Worker", 0): worker0(None)}, {}, running("s"), id="TF-7-no-terminated-state"
    ),
    pytest.param("s", S4, RUNNING_123, {("Worker", 0): worker0(3)}, {}, running("s"), id="worker-0-exit-3"),
    pytest.param(
        "s",
        S4,
        RUNNING_123,
        {("Worker", 0): worker0(0, container="main")},
        {},
        running("s"),
        id="worker-0-exit-code-of-another-container",
    ),
    pytest.param("s", S4, RUNNING_123, {}, {}, running("s"), id="another-worker-succeeded"),
    pytest.param(
        "s",
        S4,
        {"Worker": {"succeeded": 4}},
        {},
        {"successPolicy": "AllWorkers"},
        succeeded("s"),
        id="all-4-done",
    ),
    pytest.param(
        "s",
        S4,
        RUNNING_123,
        {("Worker", 0): worker0()},
        {"successPolicy": "Other"},
        succeeded("s"),
        id="unknown-policy",
    ),
    pytest.param(
        "f",
        {"Worker": 2},
        {"Worker": {"active": 1, "failed": 1}},
        {},
        {},
        failed("f", 1, "Worker"),
        id="TF-8-fails",
    ),
    pytest.param(
        "f",
        {"Worker": 2},
        {"Worker": {"active": 1, "failed": 1}},
        {},
        {"enableDynamicWorker": True},
        running("f"),
        id="TF-8-dynamic-worker-ignored",
    ),
    pytest.param(
        "f",
        {"PS": 1, "Worker": 2},
        {"PS": {"failed": 1}, "Worker": {"active": 2}},
        {},
        {"enableDynamicWorker": True},
        failed("f", 1, "PS"),
        id="dynamic-ps-failure-still-fails",
    ),
    pytest.param(
        "c",
        {"Chief": 1, "Worker": 2},
        {"Chief": {"active": 1}, "Worker": {"active": 2}},
        {},
        {},
        running("c"),
        id="chief-running",
    ),
    pytest.param(
        "c",
        {"Master": 1, "Worker": 2},
        {"Master": {"succeeded": 1}, "Worker": {"active": 2}},
        {},
        {},
        succeeded("c"),
        id="master-succeeded",
    ),
    pytest.param(
        "c",
        {"Chief": 1, "Worker": 2},
        {"Chief": {"active": 1}, "Worker": {"succeeded": 2}},
        {},
        {},
        running("c"),
        id="workers-done-chief-running",
    ),
    pytest.param(
        "c",
        {"Chief": 1, "Evaluator": 1, "Worker": 2},
        {"Chief": {"succeeded": 1}, "Evaluator": {"active": 1}},
        {},
        {},
        succeeded("c"),
        id="evaluator-running-after-chief-success",
    ),
    pytest.param(
        "e",
        {"Chief": 1, "Evaluator": 1},
        {"Chief": {"active": 1}, "Evaluator": {"failed": 1}},
        {},
        {},
        failed("e", 1, "Evaluator"),
        id="evaluator-failure-fails",
    ),
    pytest.param("z", {"Worker": 0}, {}, {}, {}, succeeded("z"), id="zero-workers-succeed-at-once"),
    # upstream's status tests (training-operator v1.9.0 tfjob status_test.go)
    pytest.param(
        "c",
        {"Chief": 1, "Worker": 2},
        {"Chief": {"failed": 1}, "Worker": {"active": 2}},
        {},
        {},
        failed("c", 1, "Chief"),
        id="chief-failed",
    ),
    pytest.param(
        "c",
        {"Chief": 1, "PS": 1, "Worker": 2},
        {"Chief": {"active": 1}, "PS": {"failed": 1}, "Worker": {"active": 2}},
        {},
        {},
        failed("c", 1, "PS"),
        id="chief-running-ps-failed",
    ),
    pytest.param(
        "s",
        S4,
        {"Worker": {"active": 2, "succeeded": 1, "failed": 1}},
        {("Worker", 0): worker0()},
        {"successPolicy": "AllWorkers"},
        failed("s", 1, "Worker"),
        id="all-workers-worker-0-done-one-failed",
    ),
]


@pytest.mark.parametrize(("name", "replicas", "counts", "pods", "spec", "expected"), DECISIONS)
def test_last_condition(name, replicas, counts, pods, spec, expected):
    assert last(decide(name, replicas, counts, pods=pods, **spec)) == expected


def test_tf7_running_flips_to_false_in_place_on_success():
    before = {
        "type": "Running",
        "status": "True",
        "reason": "TFJobRunning",
        "message": "TFJob default/s is running.",
    }
    draft = decide("s", S4, RUNNING_123, conditions=[CREATED, before], pods={("Worker", 0): worker0()})
    assert without_created(draft) == [
        ("Running", "False", "TFJobRunning", "TFJob default/s is running."),
        succeeded("s"),
    ]
    assert draft.status["completionTime"] == NOW


def test_tf9_chief_success_then_worker_failure_in_one_pass():
    draft = decide("c", {"Chief": 1, "Worker": 2}, {"Chief": {"succeeded": 1}, "Worker": {"failed": 2}})
    assert without_created(draft) == [succeeded("c"), failed("c", 2, "Worker")]
    assert [(e.type, e.reason) for e in draft.events] == [
        ("Normal", "TFJobSucceeded"),
        ("Normal", "TFJobFailed"),
    ]
    assert [m.name for m in draft.metrics] == [JOBS_SUCCESSFUL, JOBS_FAILED]


def test_ps_only_job_never_runs_or_succeeds():
    draft = decide("p", {"PS": 2}, {"PS": {"active": 2}})
    assert (draft.conditions, draft.status["startTime"]) == ([CREATED], NOW)


RESTARTING = {
    "type": "Restarting",
    "status": "True",
    "reason": "TFJobRestarting",
    "message": "job r is restarting because Worker replica(s) failed.",
}


def test_restarting_present_at_start_is_kept_and_counted():
    draft = decide(
        "r", {"Worker": 2}, {"Worker": {"active": 1, "failed": 1}}, conditions=[CREATED, RESTARTING]
    )
    # Running (worker 1 is active) replaces Restarting, then the failure puts Restarting back
    assert without_created(draft) == [tuple(RESTARTING.values())]
    assert [m.name for m in draft.metrics] == [JOBS_RESTARTED]
    assert "completionTime" not in draft.status


def test_restarting_reapplied_after_chief_running_replaced_it():
    draft = decide(
        "r",
        {"Chief": 1, "Worker": 2},
        {"Chief": {"active": 1}, "Worker": {"active": 1, "failed": 1}},
        conditions=[CREATED, RESTARTING],
    )
    assert [c["type"] for c in draft.conditions] == ["Created", "Restarting"]
    assert draft.conditions[-1]["message"] == RESTARTING["message"]


def test_success_sets_times_event_and_counter():
    draft = decide("z", {"Worker": 0}, {})
    assert (draft.status["startTime"], draft.status["completionTime"]) == (NOW, NOW)
    assert [(e.type, e.reason, e.message) for e in draft.events] == [
        ("Normal", "TFJobSucceeded", "TFJob default/z successfully completed.")
    ]
    assert [(m.name, dict(m.labels)) for m in draft.metrics] == [
        (JOBS_SUCCESSFUL, {"job_namespace": "default", "framework": "tensorflow"})
    ]


def test_failure_sets_completion_time_event_and_counter():
    draft = decide("f", {"Worker": 2}, {"Worker": {"failed": 1}})
    assert draft.status["completionTime"] == NOW
    assert [(e.type, e.reason, e.message) for e in draft.events] == [
        ("Normal", *failed("f", 1, "Worker")[2:])
    ]
    assert [m.name for m in draft.metrics] == [JOBS_FAILED]


def test_running_sets_no_event():
    draft = decide("c", {"Chief": 1}, {"Chief": {"active": 1}})
    assert (draft.events, draft.metrics, "completionTime" in draft.status) == ([], [], False)


@pytest.mark.parametrize("phase", ["Running", "Unknown", "Pending", "Failed"])
def test_worker0_must_be_succeeded_not_only_its_tensorflow_container(phase):
    """A worker-0 pod whose `tensorflow` container exited 0 while a sidecar runs (or the node went away) has
    not finished: the job is not Succeeded."""
    pods = {("Worker", 0): worker0(0, phase=phase)}
    draft = decide("w", {"Worker": 2}, {"Worker": {"active": 1}}, pods=pods)
    assert [c["type"] for c in draft.conditions] == ["Created", "Running"]


def test_workers_without_a_chief_and_none_active_are_not_running():
    draft = decide("w", {"Worker": 2, "PS": 1}, {"Worker": {}, "PS": {"active": 1}})
    assert draft.conditions == [CREATED]
