"""When an MXJob is Running, Succeeded, Restarting or Failed (frameworks.md §3.7, acceptance MX-3 to MX-5).

Covers: the Scheduler decides Running/Succeeded in training mode, worker and server success are irrelevant;
a single-worker job is decided by its worker; a tuning job is decided by its Tuner (our fix of upstream's dead
end, docs/differences/mxnet.md); a failed replica fails the job (Never/OnFailure) or restarts it (ExitCode),
with upstream's lower-case `mxjob` messages; success wins over a failure seen in the same pass; startTime,
completionTime, events and job counters.
"""

from typing import Any

import pytest

from training_operator.core.engine.draft import JOBS_FAILED, JOBS_RESTARTED, JOBS_SUCCESSFUL, StatusDraft
from training_operator.mxnet.plugin import FRAMEWORK
from training_operator.mxnet.status import is_single_training

NOW = "2024-05-01T10:00:00Z"
CREATED = {"type": "Created", "status": "True", "reason": "MXJobCreated", "message": "MXJob x is created."}
MX = {"spec": {"containers": [{"name": "mxnet", "image": "mx:1"}]}}


def mxjob(
    name: str, replicas: dict[str, int], policy: str | None = None, mode: str = "MXTrain"
) -> dict[str, Any]:
    specs: dict[str, Any] = {}
    for replica_type, count in replicas.items():
        specs[replica_type] = {"replicas": count, "template": MX}
        if policy is not None:
            specs[replica_type]["restartPolicy"] = policy
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "MXJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"jobMode": mode, "mxReplicaSpecs": specs},
    }


BP = {"Scheduler": 1, "Server": 2, "Worker": 2}
TUNE = {"TunerTracker": 1, "TunerServer": 1, "Tuner": 1}


def decide(body: dict[str, Any], counts: dict[str, Any], status: dict[str, Any] | None = None) -> StatusDraft:
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    stored = {"conditions": [CREATED], "replicaStatuses": counts, **(status or {})}
    draft = StatusDraft(job=job, status=stored, now=NOW, framework_label="mxnet")
    FRAMEWORK.update_status(job, draft)
    return draft


def last(draft: StatusDraft) -> tuple[str, str, str, str]:
    condition = draft.conditions[-1]
    return condition["type"], condition["status"], condition["reason"], condition["message"]


DECISIONS = [
    pytest.param(
        mxjob("one", {"Worker": 1}),
        {"Worker": {"active": 1}},
        ("Running", "True", "MXJobRunning", "MXJob one is running."),
        id="MX-4-single-worker-running",
    ),
    pytest.param(
        mxjob("one", {"Worker": 1}),
        {"Worker": {"succeeded": 1}},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob one is successfully completed."),
        id="MX-4-single-worker-succeeded",
    ),
    pytest.param(
        mxjob("bp", BP),
        {"Scheduler": {"succeeded": 1}, "Server": {"active": 2}, "Worker": {"active": 2}},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob bp is successfully completed."),
        id="MX-5-scheduler-succeeded-workers-running",
    ),
    pytest.param(
        mxjob("bp", BP),
        {"Scheduler": {"active": 1}, "Server": {"active": 1, "failed": 1}, "Worker": {"active": 2}},
        ("Failed", "True", "MXJobFailed", "mxjob bp is failed because 1 Server replica(s) failed."),
        id="MX-5-server-failed-never",
    ),
    pytest.param(
        mxjob("bp", BP, policy="ExitCode"),
        {"Scheduler": {"active": 1}, "Server": {"active": 2}, "Worker": {"active": 1, "failed": 1}},
        (
            "Restarting",
            "True",
            "MXJobRestarting",
            "mxjob bp is restarting because 1 Worker replica(s) failed.",
        ),
        id="MX-5-worker-failed-exit-code",
    ),
    pytest.param(
        mxjob("bp", BP, policy="OnFailure"),
        {"Scheduler": {"active": 1}, "Worker": {"active": 1, "failed": 1}},
        ("Failed", "True", "MXJobFailed", "mxjob bp is failed because 1 Worker replica(s) failed."),
        id="on-failure-pod-in-phase-failed-fails-the-job",
    ),
    pytest.param(
        mxjob("bp", BP),
        {"Scheduler": {"active": 1}, "Server": {"active": 2}, "Worker": {"succeeded": 2}},
        ("Running", "True", "MXJobRunning", "MXJob bp is running."),
        id="workers-succeeding-do-not-end-a-training-job",
    ),
    pytest.param(
        mxjob("bp", BP),
        {"Scheduler": {"succeeded": 1}, "Worker": {"active": 1, "failed": 1}},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob bp is successfully completed."),
        id="scheduler-visited-first-success-wins",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {"TunerTracker": {"active": 1}, "TunerServer": {"active": 1}, "Tuner": {"active": 1}},
        ("Running", "True", "MXJobRunning", "MXJob auto-tuning-job is running."),
        id="MX-3-fixed-tune-running",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {"TunerTracker": {"succeeded": 1}, "TunerServer": {"succeeded": 1}, "Tuner": {"succeeded": 1}},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob auto-tuning-job is successfully completed."),
        id="MX-3-fixed-tune-all-succeeded",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {"TunerTracker": {"active": 1}, "TunerServer": {"active": 1}, "Tuner": {"succeeded": 1}},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob auto-tuning-job is successfully completed."),
        id="tune-ends-when-the-tuner-succeeds",
    ),
    pytest.param(
        mxjob("auto-tuning-job", {"TunerTracker": 1, "TunerServer": 1, "tuner": 1}, mode="MXTune"),
        {"TunerTracker": {"active": 1}, "TunerServer": {"active": 1}, "tuner": {"active": 1}},
        ("Running", "True", "MXJobRunning", "MXJob auto-tuning-job is running."),
        id="lower-case-tuner-key-also-drives",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {"TunerTracker": {"active": 1}, "TunerServer": {"failed": 1}, "Tuner": {"active": 1}},
        (
            "Failed",
            "True",
            "MXJobFailed",
            "mxjob auto-tuning-job is failed because 1 TunerServer replica(s) failed.",
        ),
        id="tune-replica-failure-fails-the-job",
    ),
    pytest.param(
        mxjob("ps", {"Server": 1, "Worker": 2}),
        {"Server": {"active": 1}, "Worker": {"succeeded": 2}},
        ("Created", "True", "MXJobCreated", "MXJob x is created."),
        id="no-scheduler-no-tuner-is-undecided-as-upstream",
    ),
]


@pytest.mark.parametrize(("body", "counts", "expected"), DECISIONS)
def test_last_condition(body, counts, expected):
    assert last(decide(body, counts)) == expected


def test_success_sets_times_event_and_counter():
    draft = decide(mxjob("one", {"Worker": 1}), {"Worker": {"succeeded": 1}})
    assert (draft.status["startTime"], draft.status["completionTime"]) == (NOW, NOW)
    assert [(e.type, e.reason) for e in draft.events] == [("Normal", "MXJobSucceeded")]
    assert [m.name for m in draft.metrics] == [JOBS_SUCCESSFUL]
    assert draft.metrics[0].labels == {"job_namespace": "default", "framework": "mxnet"}


def test_failure_sets_completion_time_and_counts_once():
    counts = {"Scheduler": {"active": 1}, "Server": {"failed": 1}, "Worker": {"active": 2}}
    draft = decide(mxjob("bp", BP), counts, {"startTime": "2024-05-01T09:00:00Z"})
    assert (draft.status["startTime"], draft.status["completionTime"]) == ("2024-05-01T09:00:00Z", NOW)
    assert [(e.type, e.reason) for e in draft.events] == [("Normal", "MXJobFailed")]
    assert [m.name for m in draft.metrics] == [JOBS_FAILED]


def test_restart_keeps_the_job_open_and_counts_a_restart():
    counts = {"Scheduler": {"active": 1}, "Worker": {"failed": 1, "active": 1}}
    draft = decide(mxjob("bp", BP, policy="ExitCode"), counts)
    assert "completionTime" not in draft.status
    assert [(e.type, e.reason) for e in draft.events] == [("Warning", "MXJobRestarting")]
    assert [m.name for m in draft.metrics] == [JOBS_RESTARTED]


def test_running_flips_to_false_when_the_job_succeeds():
    running = {
        "type": "Running",
        "status": "True",
        "reason": "MXJobRunning",
        "message": "MXJob bp is running.",
    }
    draft = decide(mxjob("bp", BP), {"Scheduler": {"succeeded": 1}}, {"conditions": [CREATED, running]})
    assert [(c["type"], c["status"]) for c in draft.conditions] == [
        ("Created", "True"),
        ("Running", "False"),
        ("Succeeded", "True"),
    ]


# --- which types drive the status: single training means exactly one Worker and no parameter server --------


def true_types(body: dict[str, Any], counts: dict[str, Any]) -> list[str]:
    return [c["type"] for c in decide(body, counts).conditions if c["status"] == "True"]


def test_with_a_scheduler_a_single_worker_finishing_does_not_finish_the_job() -> None:
    body = mxjob("s", {"Scheduler": 1, "Worker": 1})
    assert true_types(body, {"Scheduler": {"active": 1}, "Worker": {"succeeded": 1}}) == [
        "Created",
        "Running",
    ]


def test_with_servers_and_no_scheduler_the_worker_does_not_decide() -> None:
    body = mxjob("s", {"Server": 1, "Worker": 1})
    assert true_types(body, {"Server": {"active": 1}, "Worker": {"succeeded": 1}}) == ["Created"]


def test_two_workers_without_a_scheduler_are_not_single_training() -> None:
    body = mxjob("w", {"Worker": 2})
    assert true_types(body, {"Worker": {"succeeded": 2}}) == ["Created"]


def test_an_unset_worker_count_is_one_worker_so_single_training() -> None:
    raw = mxjob("u", {"Worker": 1})
    del raw["spec"]["mxReplicaSpecs"]["Worker"]["replicas"]
    assert is_single_training(FRAMEWORK.parse(raw)) is True
    assert is_single_training(FRAMEWORK.parse(mxjob("t", {"Worker": 2}))) is False


def test_a_driver_with_no_pod_running_is_not_running() -> None:
    body = mxjob("p", BP)
    assert true_types(body, {"Scheduler": {"active": 0}, "Worker": {"active": 2}}) == ["Created"]


def test_always_fails_the_job_like_never_only_exit_code_restarts() -> None:
    for policy, outcome in (("Always", "Failed"), ("OnFailure", "Failed"), ("ExitCode", "Restarting")):
        body = mxjob("f", BP, policy=policy)
        assert true_types(body, {"Scheduler": {"active": 1}, "Worker": {"failed": 1}})[-1] == outcome
