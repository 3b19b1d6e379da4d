"""MXJob through the common engine's planner (frameworks.md §3.5–§3.7, acceptance MX-1 to MX-6).

Covers: the first reconcile creates one pod and one service per slot with the exact MX_CONFIG/DMLC env; Server
pods alone carry `job-role=master`; then, from observed pods: training decided by the Scheduler (success;
a failed server; a retryable ExitCode worker failure deleting the pod and ending Restarting); a single-worker
job decided by its worker; a tuning job decided by its Tuner (our fix); lower-case keys (`scheduler`
normalised and driving, `tuner` kept) in replicaStatuses and pod names.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine import planner
from training_operator.core.engine.observed import PodRecord, Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod
from training_operator.mxnet.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
MX = {"spec": {"containers": [{"name": "mxnet", "image": "mx:1"}]}}
MX9991 = {
    "spec": {
        "containers": [
            {"name": "mxnet", "image": "mx:1", "ports": [{"name": "mxjob-port", "containerPort": 9991}]}
        ]
    }
}


def mxjob(name: str, replicas: dict[str, int], *, mode: str = "MXTrain", **fields: Any) -> dict[str, Any]:
    return a_job(kind=KIND, name=name, replicas=replicas, spec={"jobMode": mode}, **fields)


def reconcile(body: dict[str, Any], *pods: PodRecord) -> Plan:
    return planner.plan(
        FRAMEWORK.parse(body), FRAMEWORK, Snapshot(pods=pods), now=NOW, options=EngineOptions()
    )


def created_pods(plan: Plan) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in plan.creates if c.kind == "Pod"}


def env_of(pod: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}


def test_mx1_first_reconcile_builds_every_pod_with_its_env():
    templates = {t: MX9991 for t in ("Scheduler", "Server", "Worker")}
    plan = reconcile(mxjob("mxnet-job", {"Scheduler": 1, "Server": 1, "Worker": 1}, templates=templates))
    pods = created_pods(plan)
    assert sorted(pods) == ["mxnet-job-scheduler-0", "mxnet-job-server-0", "mxnet-job-worker-0"]
    assert sorted(c.name for c in plan.creates if c.kind == "Service") == sorted(pods)
    cluster = (
        '{"cluster":{"scheduler":[{"url":"mxnet-job-scheduler-0","port":9991}],'
        '"server":[{"url":"mxnet-job-server-0","port":9991}],'
        '"worker":[{"url":"mxnet-job-worker-0","port":9991}]},'
        '"labels":{"scheduler":"","server":"","worker":""},'
    )
    common = {
        "DMLC_PS_ROOT_PORT": "9991",
        "DMLC_PS_ROOT_URI": "mxnet-job-scheduler-0",
        "DMLC_NUM_SERVER": "1",
        "DMLC_NUM_WORKER": "1",
        "DMLC_USE_KUBERNETES": "1",
    }
    assert env_of(pods["mxnet-job-worker-0"]) == {
        "MX_CONFIG": cluster + '"task":{"type":"worker","index":0}}',
        **common,
        "DMLC_ROLE": "worker",
        "DMLC_WORKER_ID": "0",
    }
    assert env_of(pods["mxnet-job-scheduler-0"]) == {
        "MX_CONFIG": cluster + '"task":{"type":"scheduler","index":0}}',
        **common,
        "DMLC_ROLE": "scheduler",
    }


def test_mx2_server_pods_carry_the_master_role():
    pods = created_pods(reconcile(mxjob("bp", {"Scheduler": 1, "Server": 2, "Worker": 2})))
    masters = sorted(
        name for name, pod in pods.items() if pod["metadata"]["labels"].get(labels.JOB_ROLE) == "master"
    )
    assert masters == ["bp-server-0", "bp-server-1"]
    assert all(pod["spec"]["restartPolicy"] == "Never" for pod in pods.values())
    assert env_of(pods["bp-worker-1"])["DMLC_WORKER_ID"] == "1"


def last_condition(plan: Plan) -> tuple[str, str, str, str]:
    assert plan.status is not None
    condition = plan.status["conditions"][-1]
    return condition["type"], condition["status"], condition["reason"], condition["message"]


def pods_in(name: str, phases: dict[tuple[str, int], str], exit_code: int | None = None) -> list[PodRecord]:
    return [
        a_pod(name, rt, i, kind=KIND, phase=phase, exit_code=exit_code if phase == "Failed" else None)
        for (rt, i), phase in phases.items()
    ]


BP = {"Scheduler": 1, "Server": 2, "Worker": 2}
BP_RUNNING = {("Scheduler", 0): "Running", ("Server", 0): "Running", ("Server", 1): "Running"}
TUNE = {"TunerTracker": 1, "TunerServer": 1, "Tuner": 1}

STATUS_CASES = [
    pytest.param(
        mxjob("bp", BP),
        {**BP_RUNNING, ("Scheduler", 0): "Succeeded", ("Worker", 0): "Running", ("Worker", 1): "Running"},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob bp is successfully completed."),
        id="MX-5-scheduler-succeeded",
    ),
    pytest.param(
        mxjob("bp", BP),
        {**BP_RUNNING, ("Server", 1): "Failed", ("Worker", 0): "Running", ("Worker", 1): "Running"},
        ("Failed", "True", "MXJobFailed", "mxjob bp is failed because 1 Server replica(s) failed."),
        id="MX-5-server-failed-never",
    ),
    pytest.param(
        mxjob("one", {"Worker": 1}),
        {("Worker", 0): "Running"},
        ("Running", "True", "MXJobRunning", "MXJob one is running."),
        id="MX-4-running",
    ),
    pytest.param(
        mxjob("one", {"Worker": 1}),
        {("Worker", 0): "Succeeded"},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob one is successfully completed."),
        id="MX-4-succeeded",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {("TunerTracker", 0): "Running", ("TunerServer", 0): "Running", ("Tuner", 0): "Running"},
        ("Running", "True", "MXJobRunning", "MXJob auto-tuning-job is running."),
        id="MX-3-fixed-running",
    ),
    pytest.param(
        mxjob("auto-tuning-job", TUNE, mode="MXTune"),
        {("TunerTracker", 0): "Succeeded", ("TunerServer", 0): "Succeeded", ("Tuner", 0): "Succeeded"},
        ("Succeeded", "True", "MXJobSucceeded", "MXJob auto-tuning-job is successfully completed."),
        id="MX-3-fixed-succeeded",
    ),
]


@pytest.mark.parametrize(("body", "phases", "expected"), STATUS_CASES)
def test_status_from_pod_phases(body, phases, expected):
    name = body["metadata"]["name"]
    assert last_condition(reconcile(body, *pods_in(name, phases))) == expected


def test_mx5_retryable_exit_code_restarts_the_worker():
    body = mxjob("bp", BP, restart_policy="ExitCode")
    phases = {**BP_RUNNING, ("Worker", 0): "Running", ("Worker", 1): "Failed"}
    plan = reconcile(body, *pods_in("bp", phases, exit_code=137))
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == ["bp-worker-1"]
    assert last_condition(plan) == (
        "Restarting",
        "True",
        "MXJobRestarting",
        "mxjob bp is restarting because 1 Worker replica(s) failed.",
    )


def test_mx6_lower_case_keys():
    body = mxjob("lc", {"scheduler": 1, "Worker": 2, "tuner": 1})
    first = reconcile(body)
    assert sorted(created_pods(first)) == ["lc-scheduler-0", "lc-tuner-0", "lc-worker-0", "lc-worker-1"]
    assert first.status is not None
    assert sorted(first.status["replicaStatuses"]) == ["Scheduler", "Worker", "tuner"]
    phases = {
        ("Scheduler", 0): "Succeeded",
        ("Worker", 0): "Running",
        ("Worker", 1): "Running",
        ("tuner", 0): "Running",
    }
    assert last_condition(reconcile(body, *pods_in("lc", phases)))[:3] == (
        "Succeeded",
        "True",
        "MXJobSucceeded",
    )
