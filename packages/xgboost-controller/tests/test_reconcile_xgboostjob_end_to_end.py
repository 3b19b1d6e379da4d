"""XGBoostJob through the common engine's planner (frameworks.md §4.5–§4.7, acceptance XG-1, XG-4, XG-6).

Covers: the first reconcile of the shipped iris job creates master-0, worker-0, worker-1 and their
services with the exact env per pod, `restartPolicy: Never` for ExitCode workers and `job-role=master` on
master-0 only; services expose only the `xgboost` container's ports; then, from observed pods: Running,
Succeeded with Running flipped, a retryable ExitCode worker failure (pod deleted, Restarting last), a
permanent one (the engine's Failed, nothing after it), and a failed Master.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod
from training_operator.xgboost.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
NAME = "xgboost-dist-iris-test-train"
XG9991 = {
    "spec": {
        "containers": [
            {
                "name": "xgboost",
                "image": "xgb:1",
                "ports": [{"name": "xgboostjob-port", "containerPort": 9991}],
            }
        ]
    }
}
WORKERS = f"{NAME}-worker-0,{NAME}-worker-1"


def iris(status: dict[str, Any] | None = None) -> dict[str, Any]:
    """XG-1: Master 1 (Never) + Worker 2 (ExitCode), port 9991."""
    return a_job(
        kind=KIND,
        name=NAME,
        replicas={"Master": 1, "Worker": 2},
        restart_policy={"Master": "Never", "Worker": "ExitCode"},
        templates={"Master": XG9991, "Worker": XG9991},
        status=status,
    )


def reconcile(body: dict[str, Any], *pods: Any) -> Plan:
    return planner.plan(
        FRAMEWORK.parse(body), FRAMEWORK, Snapshot(pods=pods), now=NOW, options=EngineOptions()
    )


def created(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in plan.creates if c.kind == kind}


def env(pod: dict[str, Any], container: int = 0) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][container]["env"]]


def test_first_reconcile_creates_every_pod_with_its_env():
    plan = reconcile(iris())
    pods = created(plan, "Pod")
    assert sorted(pods) == [f"{NAME}-master-0", f"{NAME}-worker-0", f"{NAME}-worker-1"]
    for pod_name, rank in ((f"{NAME}-master-0", "0"), (f"{NAME}-worker-0", "1"), (f"{NAME}-worker-1", "2")):
        assert env(pods[pod_name]) == [
            ("MASTER_PORT", "9991"),
            ("MASTER_ADDR", f"{NAME}-master-0"),
            ("WORLD_SIZE", "3"),
            ("RANK", rank),
            ("PYTHONUNBUFFERED", "1"),
            ("WORKER_PORT", "9991"),
            ("WORKER_ADDRS", WORKERS),
        ]
        assert pods[pod_name]["spec"]["restartPolicy"] == "Never"
    roles = {name: pod["metadata"]["labels"].get(labels.JOB_ROLE) for name, pod in pods.items()}
    assert roles == {f"{NAME}-master-0": "master", f"{NAME}-worker-0": None, f"{NAME}-worker-1": None}
    assert sorted(created(plan, "Service")) == sorted(pods)


def test_sidecar_gets_env_and_service_exposes_only_xgboost_ports():
    template = {
        "spec": {
            "containers": [{"name": "xgboost", "image": "xgb:1"}, {"name": "logger", "image": "busybox"}]
        }
    }
    body = a_job(kind=KIND, name="xgb-single", replicas={"Master": 1}, templates={"Master": template})
    plan = reconcile(body)
    pod = created(plan, "Pod")["xgb-single-master-0"]
    expected = [
        ("MASTER_PORT", "9999"),
        ("MASTER_ADDR", "xgb-single-master-0"),
        ("WORLD_SIZE", "1"),
        ("RANK", "0"),
        ("PYTHONUNBUFFERED", "1"),
    ]
    assert (env(pod, 0), env(pod, 1)) == (expected, expected)
    assert "ports" not in pod["spec"]["containers"][1]
    (service,) = created(plan, "Service").values()
    assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("xgboostjob-port", 9999)]


def conditions_of(plan: Plan) -> list[tuple[str, str, str, str]]:
    assert plan.status is not None
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in plan.status["conditions"]]


CREATED = ("Created", "True", "XGBoostJobCreated", f"XGBoostJob {NAME} is created.")
RUNNING = ("Running", "True", "XGBoostJobRunning", f"XGBoostJob {NAME} is running.")


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        pytest.param(
            {"master-0": "Running", "worker-0": "Running", "worker-1": "Running"},
            [CREATED, RUNNING],
            id="XG-6-master-running",
        ),
        pytest.param(
            {"master-0": "Succeeded", "worker-0": "Running", "worker-1": "Running"},
            [
                CREATED,
                ("Running", "False", "XGBoostJobRunning", f"XGBoostJob {NAME} is running."),
                ("Succeeded", "True", "XGBoostJobSucceeded", f"XGBoostJob {NAME} is successfully completed."),
            ],
            id="XG-6-master-succeeded",
        ),
        pytest.param(
            {"master-0": "Failed", "worker-0": "Running", "worker-1": "Running"},
            [
                CREATED,
                ("Running", "False", "XGBoostJobRunning", f"XGBoostJob {NAME} is running."),
                (
                    "Failed",
                    "True",
                    "XGBoostJobFailed",
                    f"XGBoostJob {NAME} is failed because 1 Master replica(s) failed.",
                ),
            ],
            id="XG-6-master-failed",
        ),
    ],
)
def test_status_from_pod_phases(phases, expected):
    pods = [
        a_pod(NAME, slot.split("-")[0].capitalize(), int(slot[-1]), kind=KIND, phase=p)
        for slot, p in phases.items()
    ]
    assert conditions_of(reconcile(iris(), *pods)) == expected


def test_retryable_worker_exit_deletes_the_pod_and_ends_restarting():
    pods = [
        a_pod(NAME, "Master", 0, kind=KIND, phase="Pending"),
        a_pod(NAME, "Worker", 0, kind=KIND, phase="Running"),
        a_pod(NAME, "Worker", 1, kind=KIND, phase="Failed", exit_code=137),
    ]
    plan = reconcile(iris(), *pods)
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == [f"{NAME}-worker-1"]
    assert conditions_of(plan)[-1] == (
        "Restarting",
        "True",
        "XGBoostJobRestarting",
        f"XGBoostJob {NAME} is restarting because 1 Worker replica(s) failed.",
    )
    assert [c[0] for c in conditions_of(plan)] == ["Created", "Restarting"]


def test_permanent_worker_exit_fails_the_job_for_good():
    pods = [
        a_pod(NAME, "Master", 0, kind=KIND, phase="Pending"),
        a_pod(NAME, "Worker", 0, kind=KIND, phase="Running"),
        a_pod(NAME, "Worker", 1, kind=KIND, phase="Failed", exit_code=1),
    ]
    plan = reconcile(iris(), *pods)
    failed = (
        "Failed",
        "True",
        "XGBoostJobFailed",
        f'job "{NAME}" is failing because "Worker" replica(s) failed.',
    )
    assert conditions_of(plan)[-1] == failed
    assert not [d for d in plan.deletes if d.kind == "Pod"]
    assert plan.status is not None
    again = reconcile(iris(status=dict(plan.status)), *pods)
    assert again.status is None or conditions_of(again)[-1] == failed
