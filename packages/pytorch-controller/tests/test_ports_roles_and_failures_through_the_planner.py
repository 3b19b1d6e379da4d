"""What the real planner makes of PT-3, PT-4 and the remaining PT-9 outcomes (frameworks.md §2.5–§2.9).

Covers: PT-3's custom master port (8080) reaches the master's service while the worker's service keeps 23456,
and the master's sidecar gets the same env as its `pytorch` container; PT-4's elastic worker-only job puts
`job-role=master` on worker-0 only, keeps `restartPolicy: OnFailure` and creates no HPA (no metrics); from
observed pod phases with exact conditions: pending pods set nothing, a failed Never Master fails the job with
the Master named in the message (Running flipped to False).
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod, services_of
from training_operator.pytorch.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def reconcile(body: dict[str, Any], *pods: Any, services: Any = ()) -> Plan:
    snapshot = Snapshot(pods=pods, services=tuple(services))
    return planner.plan(FRAMEWORK.parse(body), FRAMEWORK, snapshot, now=NOW, options=EngineOptions())


def created(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in plan.creates if c.kind == kind}


def env(pod: dict[str, Any], container: int = 0) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][container]["env"]]


def service_ports(service: dict[str, Any]) -> list[tuple[str, int]]:
    return [(p["name"], p["port"]) for p in service["spec"]["ports"]]


def test_pt3_custom_master_port_reaches_the_master_service_and_every_container():
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
    assert service_ports(services["cp-master-0"]) == [("pytorchjob-port", 8080)]
    assert service_ports(services["cp-worker-0"]) == [("pytorchjob-port", 23456)]
    assert pods["cp-master-0"]["spec"]["containers"][0]["ports"] == [
        {"name": "pytorchjob-port", "containerPort": 8080}
    ]
    assert "ports" not in pods["cp-master-0"]["spec"]["containers"][1]
    assert env(pods["cp-master-0"], 0) == env(pods["cp-master-0"], 1)
    master_env = dict(env(pods["cp-master-0"], 1))
    assert (master_env["MASTER_PORT"], master_env["PET_MASTER_PORT"]) == ("8080", "8080")
    assert dict(env(pods["cp-worker-0"]))["MASTER_PORT"] == "8080"


def test_pt4_elastic_worker_only_job_makes_worker_0_the_master_and_has_no_hpa():
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
    assert all("initContainers" not in pod["spec"] for pod in pods.values())
    assert created(plan, "HorizontalPodAutoscaler") == {}


CREATED = ("Created", "True", "PyTorchJobCreated", "PyTorchJob j is created.")
RUNNING = ("Running", "True", "PyTorchJobRunning", "PyTorchJob j is running.")


def as_condition(fields: tuple[str, str, str, str]) -> dict[str, str]:
    return dict(zip(("type", "status", "reason", "message"), fields, strict=True))


@pytest.mark.parametrize(
    ("master", "worker", "before", "expected"),
    [
        pytest.param("Pending", "Pending", [CREATED], [CREATED], id="pending-sets-nothing"),
        pytest.param(
            "Failed",
            "Running",
            [CREATED, RUNNING],
            [
                CREATED,
                ("Running", "False", "PyTorchJobRunning", "PyTorchJob j is running."),
                (
                    "Failed",
                    "True",
                    "PyTorchJobFailed",
                    "PyTorchJob j is failed because 1 Master replica(s) failed.",
                ),
            ],
            id="never-master-failed",
        ),
    ],
)
def test_conditions_from_pod_phases(master, worker, before, expected):
    body = a_job(
        kind=KIND,
        name="j",
        replicas={"Master": 1, "Worker": 1},
        restart_policy="Never",
        templates={"Master": PT, "Worker": PT},
        status={"conditions": [as_condition(c) for c in before]},
    )
    pods = [
        a_pod("j", "Master", 0, kind=KIND, phase=master),
        a_pod("j", "Worker", 0, kind=KIND, phase=worker),
    ]
    plan = reconcile(body, *pods, services=services_of("j", {"Master": 1, "Worker": 1}, kind=KIND))
    conditions = (plan.status or {}).get("conditions", [as_condition(c) for c in before])
    assert [(c["type"], c["status"], c["reason"], c["message"]) for c in conditions] == expected
