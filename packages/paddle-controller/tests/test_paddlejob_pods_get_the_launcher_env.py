"""What `paddle.distributed.launch` finds in each PaddleJob pod (frameworks.md §5.3, §5.5, §5.6; PD-1–PD-4).

Covers: collective jobs (the shipped CPU example) with the user's port and with the defaulted 36543 port, the
rendezvous pod advertising its own IP through the downward API, PS mode with two Masters (Masters counted in
PADDLE_NNODES, SERVER/TRAINER counts, Masters are master role), every container getting the env, and the
inert elastic policy (defaulted bounds, identical env, no HPA).
"""

from datetime import UTC, datetime
from typing import Any

from training_operator.core import labels, render
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.paddle.api import PaddleJob
from training_operator.paddle.plugin import FRAMEWORK

PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}
PD37777 = {
    "spec": {
        "containers": [
            {"name": "paddle", "image": "pd:1", "ports": [{"name": "master", "containerPort": 37777}]}
        ]
    }
}
POD_IP = {"name": "POD_IP_DUMMY", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}


def paddlejob(name: str, namespace: str, specs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PaddleJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"paddleReplicaSpecs": specs, **spec},
    }


def simple_cpu(template: dict[str, Any] = PD37777, **spec: Any) -> dict[str, Any]:
    """PD-1: the shipped `simple-cpu.yaml`."""
    worker = {"replicas": 2, "restartPolicy": "OnFailure", "template": template}
    return paddlejob("paddle-simple-cpu", "kubeflow", {"Worker": worker}, **spec)


def pods(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {pod["metadata"]["name"]: pod for pod in render(FRAMEWORK, body).of_kind("Pod")}


def common(name: str, nodes: int) -> list[dict[str, Any]]:
    return [
        {"name": "PYTHONUNBUFFERED", "value": "1"},
        {"name": "PADDLE_JOB_ID", "value": name},
        {"name": "PADDLE_NNODES", "value": str(nodes)},
    ]


def master(value: str) -> dict[str, str]:
    return {"name": "PADDLE_MASTER", "value": value}


def test_pd1_collective_worker_0_is_the_rendezvous_and_no_pod_is_master_role():
    found = pods(simple_cpu())
    base = common("paddle-simple-cpu", 2)
    assert found["paddle-simple-cpu-worker-0"]["spec"]["containers"][0]["env"] == [
        *base,
        POD_IP,
        master("$(POD_IP_DUMMY):37777"),
    ]
    assert found["paddle-simple-cpu-worker-1"]["spec"]["containers"][0]["env"] == [
        *base,
        master("paddle-simple-cpu-worker-0:37777"),
    ]
    assert all(labels.JOB_ROLE not in pod["metadata"]["labels"] for pod in found.values())
    assert {pod["spec"]["restartPolicy"] for pod in found.values()} == {"OnFailure"}


def test_pd2_default_port_is_added_and_advertised_and_exposed():
    rendered = render(FRAMEWORK, simple_cpu(PD))
    found = {pod["metadata"]["name"]: pod for pod in rendered.of_kind("Pod")}
    worker_0 = found["paddle-simple-cpu-worker-0"]["spec"]["containers"][0]
    assert worker_0["ports"] == [{"name": "master", "containerPort": 36543}]
    assert worker_0["env"][-1] == master("$(POD_IP_DUMMY):36543")
    assert found["paddle-simple-cpu-worker-1"]["spec"]["containers"][0]["env"][-1] == master(
        "paddle-simple-cpu-worker-0:36543"
    )
    services = rendered.of_kind("Service")
    assert [[(p["name"], p["port"]) for p in s["spec"]["ports"]] for s in services] == [
        [("master", 36543)]
    ] * 2


def test_pd3_ps_mode_with_two_masters():
    body = paddlejob(
        "paddle-ps",
        "default",
        {"Master": {"replicas": 2, "template": PD}, "Worker": {"replicas": 2, "template": PD}},
    )
    found = pods(body)
    base = common("paddle-ps", 4)
    server, trainer = (
        {"name": "PADDLE_SERVER_NUM", "value": "1"},
        {"name": "PADDLE_TRAINER_NUM", "value": "1"},
    )
    env = {name: pod["spec"]["containers"][0]["env"] for name, pod in found.items()}
    assert env["paddle-ps-master-0"] == [*base, POD_IP, master("$(POD_IP_DUMMY):36543"), server]
    assert env["paddle-ps-master-1"] == [*base, master("paddle-ps-master-0:36543"), server]
    assert env["paddle-ps-worker-0"] == [*base, master("paddle-ps-master-0:36543"), trainer]
    assert env["paddle-ps-worker-1"] == env["paddle-ps-worker-0"]
    roles = {name: pod["metadata"]["labels"].get(labels.JOB_ROLE) for name, pod in found.items()}
    assert roles == {
        "paddle-ps-master-0": "master",
        "paddle-ps-master-1": "master",
        "paddle-ps-worker-0": None,
        "paddle-ps-worker-1": None,
    }


def test_pd4_elastic_policy_is_defaulted_but_changes_nothing_and_makes_no_hpa():
    metrics = [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ]
    elastic = simple_cpu(elasticPolicy={"minReplicas": 1, "maxReplicas": 4, "metrics": metrics})
    assert pods(elastic) == pods(simple_cpu())
    plan = planner.plan(
        FRAMEWORK.parse(elastic),
        FRAMEWORK,
        Snapshot(),
        now=datetime(2024, 5, 1, tzinfo=UTC),
        options=EngineOptions(),
    )
    assert {create.kind for create in plan.creates} == {"Pod", "Service"}


def test_elastic_bounds_fill_each_other_or_come_from_the_workers():
    def bounds(policy: dict[str, Any]) -> tuple[int | None, int | None]:
        job = FRAMEWORK.default(FRAMEWORK.parse(simple_cpu(elasticPolicy=policy)))
        assert isinstance(job, PaddleJob)
        assert job.spec.elastic_policy is not None
        return job.spec.elastic_policy.min_replicas, job.spec.elastic_policy.max_replicas

    assert bounds({}) == (2, 2)
    assert bounds({"maxReplicas": 3}) == (3, 3)
    assert bounds({"minReplicas": 1}) == (1, 1)
    assert bounds({"minReplicas": 1, "maxReplicas": 4}) == (1, 4)


def test_every_container_gets_the_env_and_user_entries_stay_in_front():
    template = {
        "spec": {
            "containers": [
                {"name": "logger", "image": "busybox", "env": [{"name": "PADDLE_NNODES", "value": "9"}]},
                {"name": "paddle", "image": "pd:1"},
            ]
        }
    }
    worker_1 = pods(simple_cpu(template))["paddle-simple-cpu-worker-1"]
    logger, paddle = worker_1["spec"]["containers"]
    expected = [*common("paddle-simple-cpu", 2), master("paddle-simple-cpu-worker-0:36543")]
    assert logger["env"] == [{"name": "PADDLE_NNODES", "value": "9"}, *expected]
    assert paddle["env"] == expected
    assert "ports" not in logger
    assert paddle["ports"] == [{"name": "master", "containerPort": 36543}]
