"""When a PaddleJob is Running, Succeeded, Restarting or Failed (frameworks.md §5.7, PD-6) (planner).

Covers: collective jobs succeed when every Worker has (and run while one runs), PS jobs follow the Masters
(a failed Never Worker fails the job while master-0 runs), an OnFailure failure restarts, and the selector
`replicaStatuses.Worker.selector` the scale subresource reads.
"""

from datetime import UTC, datetime
from typing import Any

from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod
from training_operator.paddle.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}


def simple_cpu() -> dict[str, Any]:
    return a_job(
        kind=KIND,
        name="paddle-simple-cpu",
        namespace="kubeflow",
        replicas={"Worker": 2},
        restart_policy="OnFailure",
        templates={"Worker": PD},
    )


def paddle_ps(worker_policy: str = "Never") -> dict[str, Any]:
    return a_job(
        kind=KIND,
        name="paddle-ps",
        replicas={"Master": 2, "Worker": 2},
        restart_policy={"Master": "OnFailure", "Worker": worker_policy},
        templates={"Master": PD, "Worker": PD},
    )


def last_condition(body: dict[str, Any], pods: dict[tuple[str, int], str]) -> tuple[str, str, str, str]:
    name = body["metadata"]["name"]
    observed = Snapshot(pods=[a_pod(name, rt, i, kind=KIND, phase=phase) for (rt, i), phase in pods.items()])
    plan = planner.plan(FRAMEWORK.parse(body), FRAMEWORK, observed, now=NOW, options=EngineOptions())
    assert plan.status is not None
    last = plan.status["conditions"][-1]
    return last["type"], last["status"], last["reason"], last["message"]


def test_pd6_collective_job_succeeds_when_both_workers_did():
    pods = {("Worker", 0): "Succeeded", ("Worker", 1): "Succeeded"}
    assert last_condition(simple_cpu(), pods) == (
        "Succeeded",
        "True",
        "PaddleJobSucceeded",
        "PaddleJob kubeflow/paddle-simple-cpu successfully completed.",
    )


def test_collective_job_runs_while_a_worker_runs():
    pods = {("Worker", 0): "Succeeded", ("Worker", 1): "Running"}
    assert last_condition(simple_cpu(), pods) == (
        "Running",
        "True",
        "PaddleJobRunning",
        "PaddleJob kubeflow/paddle-simple-cpu is running.",
    )


def test_pd6_ps_job_fails_on_a_never_worker_failure_while_master_0_runs():
    pods = {
        ("Master", 0): "Running",
        ("Master", 1): "Running",
        ("Worker", 0): "Failed",
        ("Worker", 1): "Running",
    }
    assert last_condition(paddle_ps(), pods) == (
        "Failed",
        "True",
        "PaddleJobFailed",
        "PaddleJob paddle-ps is failed because 1 Worker replica(s) failed.",
    )


def test_ps_job_follows_the_masters():
    running = {("Master", 0): "Running", ("Master", 1): "Running", ("Worker", 0): "Running"}
    assert last_condition(paddle_ps(), running)[:3] == ("Running", "True", "PaddleJobRunning")
    done = {("Master", 0): "Succeeded", ("Master", 1): "Succeeded", ("Worker", 0): "Running"}
    assert last_condition(paddle_ps(), done) == (
        "Succeeded",
        "True",
        "PaddleJobSucceeded",
        "PaddleJob paddle-ps is successfully completed.",
    )


def test_an_on_failure_worker_failure_restarts_the_job():
    pods = {
        ("Master", 0): "Running",
        ("Master", 1): "Running",
        ("Worker", 0): "Failed",
        ("Worker", 1): "Running",
    }
    assert last_condition(paddle_ps("OnFailure"), pods) == (
        "Restarting",
        "True",
        "PaddleJobRestarting",
        "PaddleJob paddle-ps is restarting because 1 Worker replica(s) failed.",
    )


def test_pd6_worker_selector_is_written_for_the_scale_subresource():
    pods = {("Master", 0): "Running", ("Worker", 0): "Running"}
    observed = Snapshot(pods=[a_pod("paddle-ps", rt, i, kind=KIND, phase=p) for (rt, i), p in pods.items()])
    plan = planner.plan(FRAMEWORK.parse(paddle_ps()), FRAMEWORK, observed, now=NOW, options=EngineOptions())
    assert plan.status is not None
    assert plan.status["replicaStatuses"]["Worker"]["selector"] == (
        "training.kubeflow.org/job-name=paddle-ps,training.kubeflow.org/operator-name=paddlejob-controller,"
        "training.kubeflow.org/replica-type=worker"
    )
