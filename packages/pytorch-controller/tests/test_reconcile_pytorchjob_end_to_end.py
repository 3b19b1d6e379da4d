"""PyTorchJobs through the common engine's real planner (frameworks.md §2.5–§2.9; PT-1, 3, 4, 7, 9).

Covers: the first reconcile of PT-1 creates master-0 and worker-0 and their headless services, with the exact
env per pod, `restartPolicy: OnFailure`, the `pytorchjob-port: 23456` port, `job-role=master` on the master
only and the init container on the worker only; PT-3's custom master port reaches the master service; PT-4's
elastic worker-only job puts the master role on worker-0 and creates no HPA; from observed pod phases the
job goes Running, Succeeded (Master decides, Running flipped to False, completionTime set), Failed (Never) or
Restarting (OnFailure, the failed pod deleted and recreated); PT-7's worker-only job succeeds only once all
three workers have.
"""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod, services_of
from training_operator.core.testing.cluster import FakeCluster
from training_operator.pytorch.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def reconcile(body: dict[str, Any], *pods: Any, services: Any = ()) -> Plan:
    snapshot = Snapshot(pods=pods, services=tuple(services))
    return FRAMEWORK.plan(FRAMEWORK.parse(body), snapshot, now=NOW, options=EngineOptions())


def created(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in plan.creates if c.kind == kind}


def env(pod: dict[str, Any], container: int = 0) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][container]["env"]]


def conditions_of(plan: Plan) -> list[tuple[str, str, str, str]]:
    assert plan.status is not None
    return [(c["type"], c["status"], c["reason"], c["message"]) for c in plan.status["conditions"]]


def pt1(policy: str | None = None, status: dict[str, Any] | None = None) -> dict[str, Any]:
    """PT-1: `pytorch-simple` in `kubeflow`, Master 1 + Worker 1."""
    return a_job(
        kind=KIND,
        name="pytorch-simple",
        namespace="kubeflow",
        replicas={"Master": 1, "Worker": 1},
        restart_policy=policy,
        templates={"Master": PT, "Worker": PT},
        status=status,
    )


def pt1_env(rank: int) -> list[tuple[str, str]]:
    return [
        ("PYTHONUNBUFFERED", "1"),
        ("MASTER_PORT", "23456"),
        ("PET_MASTER_PORT", "23456"),
        ("MASTER_ADDR", "pytorch-simple-master-0"),
        ("PET_MASTER_ADDR", "pytorch-simple-master-0"),
        ("WORLD_SIZE", "2"),
        ("RANK", str(rank)),
        ("PET_NODE_RANK", str(rank)),
        ("PET_NPROC_PER_NODE", "auto"),
        ("PET_NNODES", "2"),
    ]


def test_pt1_first_reconcile_creates_master_and_worker():
    plan = reconcile(pt1())
    pods = created(plan, "Pod")
    assert sorted(pods) == ["pytorch-simple-master-0", "pytorch-simple-worker-0"]
    master, worker = pods["pytorch-simple-master-0"], pods["pytorch-simple-worker-0"]
    assert (env(master), env(worker)) == (pt1_env(0), pt1_env(1))
    for pod in (master, worker):
        assert pod["spec"]["restartPolicy"] == "OnFailure"
        assert pod["spec"]["containers"][0]["ports"] == [{"name": "pytorchjob-port", "containerPort": 23456}]
    assert master["metadata"]["labels"].get(labels.JOB_ROLE) == "master"
    assert labels.JOB_ROLE not in worker["metadata"]["labels"]
    assert "initContainers" not in master["spec"]
    assert [c["name"] for c in worker["spec"]["initContainers"]] == ["init-pytorch"]
    services = created(plan, "Service")
    assert sorted(services) == sorted(pods)
    for service in services.values():
        assert service["spec"]["clusterIP"] == "None"
        assert [(p["name"], p["port"]) for p in service["spec"]["ports"]] == [("pytorchjob-port", 23456)]


def test_pt3_master_service_exposes_the_custom_port():
    master = {
        "spec": {
            "containers": [
                {
                    "name": "pytorch",
                    "image": "pt:1",
                    "ports": [{"name": "pytorchjob-port", "containerPort": 8080}],
                },
                {"name": "logger", "image": "busybox"},
            ]
        }
    }
    body = a_job(
        kind=KIND, name="cp", replicas={"Master": 1, "Worker": 1}, templates={"Master": master, "Worker": PT}
    )
    plan = reconcile(body)
    pods, services = created(plan, "Pod"), created(plan, "Service")
    assert [(p["name"], p["port"]) for p in services["cp-master-0"]["spec"]["ports"]] == [
        ("pytorchjob-port", 8080)
    ]
    assert [(p["name"], p["port"]) for p in services["cp-worker-0"]["spec"]["ports"]] == [
        ("pytorchjob-port", 23456)
    ]
    assert env(pods["cp-master-0"], 0) == env(pods["cp-master-0"], 1)
    assert dict(env(pods["cp-worker-0"]))["MASTER_PORT"] == "8080"


def test_pt4_elastic_worker_only_job_makes_worker_0_the_master_and_no_hpa():
    body = a_job(
        kind=KIND,
        name="elastic-example-echo",
        replicas={"Worker": 2},
        templates={"Worker": PT},
        spec={
            "elasticPolicy": {"rdzvBackend": "c10d", "minReplicas": 1, "maxReplicas": 2, "maxRestarts": 100}
        },
    )
    plan = reconcile(body)
    pods = created(plan, "Pod")
    roles = {name: pod["metadata"]["labels"].get(labels.JOB_ROLE) for name, pod in pods.items()}
    assert roles == {"elastic-example-echo-worker-0": "master", "elastic-example-echo-worker-1": None}
    assert all(pod["spec"]["restartPolicy"] == "OnFailure" for pod in pods.values())
    assert created(plan, "HorizontalPodAutoscaler") == {}


CREATED = ("Created", "True", "PyTorchJobCreated", "PyTorchJob pytorch-simple is created.")
RUNNING = ("Running", "True", "PyTorchJobRunning", "PyTorchJob pytorch-simple is running.")
NOT_RUNNING = ("Running", "False", "PyTorchJobRunning", "PyTorchJob pytorch-simple is running.")


def as_condition(fields: tuple[str, str, str, str]) -> dict[str, str]:
    return dict(zip(("type", "status", "reason", "message"), fields, strict=True))


@pytest.mark.parametrize(
    ("policy", "master", "worker", "expected"),
    [
        pytest.param(None, "Pending", "Pending", [CREATED], id="pending"),
        pytest.param(None, "Running", "Running", [CREATED, RUNNING], id="running"),
        pytest.param(
            None,
            "Succeeded",
            "Running",
            [
                CREATED,
                NOT_RUNNING,
                (
                    "Succeeded",
                    "True",
                    "PyTorchJobSucceeded",
                    "PyTorchJob pytorch-simple is successfully completed.",
                ),
            ],
            id="master-succeeded",
        ),
        pytest.param(
            "Never",
            "Running",
            "Failed",
            [
                CREATED,
                NOT_RUNNING,
                (
                    "Failed",
                    "True",
                    "PyTorchJobFailed",
                    "PyTorchJob pytorch-simple is failed because 1 Worker replica(s) failed.",
                ),
            ],
            id="never-worker-failed",
        ),
        pytest.param(
            "Never",
            "Failed",
            "Running",
            [
                CREATED,
                NOT_RUNNING,
                (
                    "Failed",
                    "True",
                    "PyTorchJobFailed",
                    "PyTorchJob pytorch-simple is failed because 1 Master replica(s) failed.",
                ),
            ],
            id="never-master-failed",
        ),
        pytest.param(
            "Never",
            "Succeeded",
            "Failed",
            [
                CREATED,
                NOT_RUNNING,
                (
                    "Succeeded",
                    "True",
                    "PyTorchJobSucceeded",
                    "PyTorchJob pytorch-simple is successfully completed.",
                ),
            ],
            id="master-succeeded-beats-worker-failed",
        ),
    ],
)
def test_status_from_pod_phases(policy, master, worker, expected):
    running = {
        "conditions": [
            dict(zip(("type", "status", "reason", "message"), c, strict=True)) for c in (CREATED, RUNNING)
        ]
    }
    status = running if master != "Pending" else None
    pods = [
        a_pod("pytorch-simple", "Master", 0, kind=KIND, phase=master),
        a_pod("pytorch-simple", "Worker", 0, kind=KIND, phase=worker),
    ]
    services = services_of("pytorch-simple", {"Master": 1, "Worker": 1}, kind=KIND)
    plan = reconcile(pt1(policy, status=status), *pods, services=services)
    assert conditions_of(plan) == expected
    if expected[-1][0] in ("Succeeded", "Failed"):
        assert plan.status is not None
        assert plan.status["completionTime"]


def test_on_failure_worker_pod_failed_is_recreated_and_the_job_restarts():
    pods = [
        a_pod("pytorch-simple", "Master", 0, kind=KIND, phase="Running"),
        a_pod("pytorch-simple", "Worker", 0, kind=KIND, phase="Failed", exit_code=1),
    ]
    services = services_of("pytorch-simple", {"Master": 1, "Worker": 1}, kind=KIND)
    plan = reconcile(pt1(), *pods, services=services)
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == ["pytorch-simple-worker-0"]
    assert conditions_of(plan)[-1] == (
        "Restarting",
        "True",
        "PyTorchJobRestarting",
        "PyTorchJob pytorch-simple is restarting because 1 Worker replica(s) failed.",
    )


def test_pt7_worker_only_job_succeeds_when_every_worker_has():
    body = a_job(kind=KIND, name="ddp", replicas={"Worker": 3}, templates={"Worker": PT})
    cluster = FakeCluster(FRAMEWORK, body)
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all("Running")
    cluster.reconcile_until_quiet(NOW)
    assert cluster.status["conditions"][-1]["message"] == "PyTorchJob default/ddp is running."
    finished = {"ddp-worker-0", "ddp-worker-1"}
    cluster.set_pods(lambda pod: replace(pod, phase="Succeeded") if pod.name in finished else pod)
    cluster.reconcile_until_quiet(NOW)
    assert cluster.status["conditions"][-1]["type"] == "Running"
    cluster.run_all("Succeeded")
    cluster.reconcile_until_quiet(NOW)
    last = cluster.status["conditions"][-1]
    assert (last["type"], last["status"], last["reason"], last["message"]) == (
        "Succeeded",
        "True",
        "PyTorchJobSucceeded",
        "PyTorchJob default/ddp successfully completed.",
    )
