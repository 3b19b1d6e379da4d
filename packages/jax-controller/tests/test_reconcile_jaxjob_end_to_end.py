"""JAXJob through the common engine's planner (frameworks.md §6.3, §6.4, acceptance JX-1, JX-4–JX-6).

Covers: the first reconcile of the shipped demo creates worker-0 and worker-1 and their headless services
exposing `jaxjob-port: 6666`, `job-role=master` on worker-0 only; from observed pods: Running, Succeeded with
the replica-status selector written, a failed Worker under `Never` fails the job, under `OnFailure` the pod is
deleted and Restarting is last; a job handed to MultiKueue gets no pods and no status (quirk F18, fixed).
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
from training_operator.jax.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
NAME = "jaxjob-simple"
JX = {"spec": {"containers": [{"name": "jax", "image": "jax:1"}]}}
CREATED = ("Created", "True", "JAXJobCreated", f"JAXJob {NAME} is created.")
RUNNING = ("Running", "True", "JAXJobRunning", f"JAXJob kubeflow/{NAME} is running.")


def demo(policy: str | None = "OnFailure", **extra: Any) -> dict[str, Any]:
    """JX-1: Worker 2 in namespace kubeflow."""
    return a_job(
        kind=KIND,
        name=NAME,
        namespace="kubeflow",
        replicas={"Worker": 2},
        restart_policy=policy and {"Worker": policy},
        templates={"Worker": JX},
        **extra,
    )


def reconcile(body: dict[str, Any], *pods: Any) -> Plan:
    return planner.plan(
        FRAMEWORK.parse(body), FRAMEWORK, Snapshot(pods=pods), now=NOW, options=EngineOptions()
    )


def created(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in plan.creates if c.kind == kind}


def conditions_of(plan: Plan) -> list[tuple[str, str, str, str]]:
    assert plan.status is not None
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in plan.status["conditions"]]


def workers(*phases: str, exit_code: int | None = None) -> list[Any]:
    return [
        a_pod(NAME, "Worker", i, kind=KIND, phase=p, exit_code=exit_code if p == "Failed" else None)
        for i, p in enumerate(phases)
    ]


def test_jx1_first_reconcile_creates_pods_and_services():
    plan = reconcile(demo())
    pods = created(plan, "Pod")
    assert sorted(pods) == [f"{NAME}-worker-0", f"{NAME}-worker-1"]
    roles = {name: pod["metadata"]["labels"].get(labels.JOB_ROLE) for name, pod in pods.items()}
    assert roles == {f"{NAME}-worker-0": "master", f"{NAME}-worker-1": None}
    env = {e["name"]: e["value"] for e in pods[f"{NAME}-worker-1"]["spec"]["containers"][0]["env"]}
    assert (env["COORDINATOR_ADDRESS"], env["PROCESS_ID"]) == (f"{NAME}-worker-0", "1")
    assert pods[f"{NAME}-worker-1"]["spec"]["restartPolicy"] == "OnFailure"
    services = created(plan, "Service")
    assert sorted(services) == sorted(pods)
    for service in services.values():
        assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("jaxjob-port", 6666)]


def test_running_while_a_worker_runs():
    assert conditions_of(reconcile(demo(), *workers("Running", "Pending"))) == [CREATED, RUNNING]


def test_jx5_every_worker_succeeded():
    plan = reconcile(demo(), *workers("Succeeded", "Succeeded"))
    assert conditions_of(plan)[-1] == (
        "Succeeded",
        "True",
        "JAXJobSucceeded",
        f"JAXJob kubeflow/{NAME} successfully completed.",
    )
    assert plan.status is not None
    assert plan.status["replicaStatuses"]["Worker"]["selector"] == (
        f"training.kubeflow.org/job-name={NAME},training.kubeflow.org/operator-name=jaxjob-controller,"
        "training.kubeflow.org/replica-type=worker"
    )


def test_one_worker_succeeded_is_not_yet_success():
    assert conditions_of(reconcile(demo(), *workers("Succeeded", "Running")))[-1] == RUNNING


def test_jx6_failed_worker_under_never_fails_the_job():
    plan = reconcile(demo(policy=None), *workers("Running", "Failed", exit_code=1))
    assert conditions_of(plan)[-1] == (
        "Failed",
        "True",
        "JAXJobFailed",
        f"JAXJob {NAME} is failed because 1 Worker replica(s) failed.",
    )


def test_jx6_failed_worker_under_on_failure_restarts():
    plan = reconcile(demo(), *workers("Running", "Failed", exit_code=1))
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == [f"{NAME}-worker-1"]
    assert conditions_of(plan)[-1] == (
        "Restarting",
        "True",
        "JAXJobRestarting",
        f"JAXJob {NAME} is restarting because 1 Worker replica(s) failed.",
    )


@pytest.mark.parametrize("status", [None, {"conditions": []}])
def test_jx4_job_managed_by_multikueue_gets_no_pods_and_no_status(status):
    body = demo(run_policy={"managedBy": "kueue.x-k8s.io/multikueue"}, status=status)
    plan = reconcile(body)
    assert (plan.creates, plan.deletes, plan.status) == ((), (), None)
