"""TFJobs through the common engine's planner and a fake cluster (frameworks.md §1.5–§1.7; acceptance TF-1,
TF-2, TF-3, TF-6, TF-7, TF-9, TF-10 `Foo`; common.md §21 case 23).

Covers: the exact pod and headless service of a local job (labels, master role, restart policy, port, no
TF_CONFIG); PS/Worker and Chief/PS/Evaluator/Worker jobs get one pod and service per slot with the exact
TF_CONFIG, master role on worker 0 or the chief only, services exposing each type's own port, the cluster
domain from the operator options; lower-case keys normalised, a sidecar left untouched and the user's own
TF_CONFIG kept before ours; unknown types get pods and services; from observed pods: worker-0 success with the
Running condition flipped to False in place (not with AllWorkers, nor without a terminated state), or Running
under AllWorkers until all succeed, chief success followed by Failed for failed workers, a retryable exit code
ending in Restarting; worker 0 decides only when it is the single pod of its slot.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine import planner
from training_operator.core.engine.observed import ContainerRecord, PodRecord, Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.builders import a_job, a_pod
from training_operator.core.testing.cluster import FakeCluster, creates_of
from training_operator.tf.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
TF = {"spec": {"containers": [{"name": "tensorflow", "image": "tf:1"}]}}
TF3333 = {
    "spec": {
        "containers": [
            {"name": "tensorflow", "image": "tf:1", "ports": [{"name": "tfjob-port", "containerPort": 3333}]}
        ]
    }
}


def tfjob(
    name: str, replicas: dict[str, int | None], *, namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    templates = {t: TF for t in replicas}
    return a_job(kind=KIND, name=name, namespace=namespace, replicas=replicas, templates=templates, spec=spec)


def reconcile(body: dict[str, Any], *pods: PodRecord, domain: str = "") -> Plan:
    options = EngineOptions(cluster_domain=domain)
    return planner.plan(FRAMEWORK.parse(body), FRAMEWORK, Snapshot(pods=pods), now=NOW, options=options)


def created(plan: Plan, kind: str) -> dict[str, dict[str, Any]]:
    return {c.name: dict(c.body) for c in creates_of(plan, kind)}


def tf_config(pod: dict[str, Any]) -> dict[str, Any] | None:
    container = next(c for c in pod["spec"]["containers"] if c["name"] == "tensorflow")
    values = [e["value"] for e in container.get("env") or [] if e["name"] == "TF_CONFIG"]
    return json.loads(values[-1]) if values else None


def roles(pods: dict[str, dict[str, Any]]) -> list[str]:
    return sorted(n for n, p in pods.items() if p["metadata"]["labels"].get(labels.JOB_ROLE) == "master")


def test_tf1_local_job_pod_and_service():
    plan = reconcile(tfjob("local", {"Worker": None}))
    (pod,) = created(plan, "Pod").values()
    assert pod["metadata"]["name"] == "local-worker-0"
    assert pod["metadata"]["labels"] == {
        "training.kubeflow.org/operator-name": "tfjob-controller",
        "training.kubeflow.org/job-name": "local",
        "training.kubeflow.org/replica-type": "worker",
        "training.kubeflow.org/replica-index": "0",
        "training.kubeflow.org/job-role": "master",
    }
    assert pod["spec"] == {
        "containers": [
            {"name": "tensorflow", "image": "tf:1", "ports": [{"name": "tfjob-port", "containerPort": 2222}]}
        ],
        "restartPolicy": "Never",
    }
    (service,) = created(plan, "Service").values()
    assert service["metadata"]["name"] == "local-worker-0"
    assert (service["spec"]["clusterIP"], service["spec"]["ports"]) == (
        "None",
        [{"name": "tfjob-port", "port": 2222}],
    )


def test_tf2_ps_worker_pods_services_and_master_role():
    plan = reconcile(tfjob("dist", {"PS": 1, "Worker": 2}, namespace="ns1"))
    pods = created(plan, "Pod")
    assert sorted(pods) == ["dist-ps-0", "dist-worker-0", "dist-worker-1"]
    assert sorted(created(plan, "Service")) == sorted(pods)
    assert roles(pods) == ["dist-worker-0"]
    cluster = {
        "ps": ["dist-ps-0.ns1.svc:2222"],
        "worker": ["dist-worker-0.ns1.svc:2222", "dist-worker-1.ns1.svc:2222"],
    }
    assert tf_config(pods["dist-worker-1"]) == {
        "cluster": cluster,
        "task": {"type": "worker", "index": 1},
        "environment": "cloud",
    }
    assert tf_config(pods["dist-ps-0"]) == {
        "cluster": cluster,
        "task": {"type": "ps", "index": 0},
        "environment": "cloud",
    }


def test_tf3_chief_ps_evaluator_workers_with_custom_port_and_domain():
    body = a_job(
        kind=KIND,
        name="mnist",
        namespace="kf",
        replicas={"Chief": 1, "PS": 1, "Evaluator": 1, "Worker": 2},
        templates={"Chief": TF, "PS": TF, "Evaluator": TF, "Worker": TF3333},
    )
    plan = reconcile(body, domain="cluster.local")
    pods = created(plan, "Pod")
    assert len(pods) == 5
    assert roles(pods) == ["mnist-chief-0"]
    raw = next(e["value"] for e in pods["mnist-evaluator-0"]["spec"]["containers"][0]["env"])
    assert raw == (
        '{"cluster":{"chief":["mnist-chief-0.kf.svc.cluster.local:2222"],'
        '"evaluator":["mnist-evaluator-0.kf.svc.cluster.local:2222"],'
        '"ps":["mnist-ps-0.kf.svc.cluster.local:2222"],'
        '"worker":["mnist-worker-0.kf.svc.cluster.local:3333","mnist-worker-1.kf.svc.cluster.local:3333"]},'
        '"task":{"type":"evaluator","index":0},"environment":"cloud"}'
    )
    assert pods["mnist-worker-1"]["spec"]["containers"][0]["ports"] == [
        {"name": "tfjob-port", "containerPort": 3333}
    ]
    services = created(plan, "Service")
    assert services["mnist-worker-0"]["spec"]["ports"] == [{"name": "tfjob-port", "port": 3333}]
    assert services["mnist-evaluator-0"]["spec"]["ports"] == [{"name": "tfjob-port", "port": 2222}]


TF6_TEMPLATE = {
    "spec": {
        "containers": [
            {"name": "sidecar", "image": "busybox"},
            {"name": "tensorflow", "image": "tf:1", "env": [{"name": "TF_CONFIG", "value": "user"}]},
        ]
    }
}
SIDE_CLUSTER = '{"worker":["side-worker-0.default.svc:2222","side-worker-1.default.svc:2222"]}'


def test_tf6_lower_case_key_sidecar_first_and_user_tf_config():
    body = a_job(kind=KIND, name="side", replicas={"worker": 2}, templates={"worker": TF6_TEMPLATE})
    plan = reconcile(body)
    pods = created(plan, "Pod")
    assert sorted(pods) == ["side-worker-0", "side-worker-1"]
    assert plan.status is not None
    assert list(plan.status["replicaStatuses"]) == ["Worker"]
    for index in (0, 1):
        sidecar, tensorflow = pods[f"side-worker-{index}"]["spec"]["containers"]
        assert sidecar == {"name": "sidecar", "image": "busybox"}
        assert tensorflow["ports"] == [{"name": "tfjob-port", "containerPort": 2222}]
        assert tensorflow["env"] == [
            {"name": "TF_CONFIG", "value": "user"},
            {
                "name": "TF_CONFIG",
                "value": f'{{"cluster":{SIDE_CLUSTER},"task":{{"type":"worker","index":{index}}},'
                '"environment":"cloud"}',
            },
        ]


def test_tf10_unknown_type_gets_pods_and_services():
    plan = reconcile(tfjob("odd", {"Worker": 1, "Foo": 2}))
    assert sorted(created(plan, "Pod")) == ["odd-foo-0", "odd-foo-1", "odd-worker-0"]
    assert sorted(created(plan, "Service")) == ["odd-foo-0", "odd-foo-1", "odd-worker-0"]


def conditions_of(status: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    return [(c["type"], c["status"], c["message"]) for c in status["conditions"]]


def finish_worker_0(pod: PodRecord) -> PodRecord:
    if pod.name != "job-a-worker-0":
        return pod
    return replace(pod, phase="Succeeded", containers=(ContainerRecord("tensorflow", exit_code=0),))


@pytest.mark.parametrize(
    ("success_policy", "expected"),
    [
        pytest.param(
            None, ("Succeeded", "True", "TFJob default/job-a successfully completed."), id="default"
        ),
        pytest.param("AllWorkers", ("Running", "True", "TFJob default/job-a is running."), id="all-workers"),
    ],
)
def test_case_23_worker_0_success(success_policy, expected):
    spec = {} if success_policy is None else {"successPolicy": success_policy}
    cluster = FakeCluster(FRAMEWORK, tfjob("job-a", {"Worker": 4, "PS": 2}, **spec))
    cluster.reconcile_until_quiet(NOW)
    assert len(cluster.snapshot.pods) == 6
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    assert conditions_of(cluster.status)[-1] == ("Running", "True", "TFJob default/job-a is running.")
    cluster.set_pods(finish_worker_0)
    cluster.reconcile_until_quiet(NOW)
    assert conditions_of(cluster.status)[-1] == expected
    assert ("completionTime" in cluster.status) is (expected[0] == "Succeeded")


def worker_0_of_s(container: ContainerRecord) -> Callable[[PodRecord], PodRecord]:
    def change(pod: PodRecord) -> PodRecord:
        return replace(pod, phase="Succeeded", containers=(container,)) if pod.name == "s-worker-0" else pod

    return change


S_RUNNING = ("Running", "True", "TFJob default/s is running.")


@pytest.mark.parametrize(
    ("spec", "worker_0", "expected"),
    [
        pytest.param(
            {},
            ContainerRecord("tensorflow", exit_code=0),
            [
                ("Created", "True", "TFJob s is created."),
                ("Running", "False", "TFJob default/s is running."),
                ("Succeeded", "True", "TFJob default/s successfully completed."),
            ],
            id="TF-7-default-policy-running-flipped-in-place",
        ),
        pytest.param(
            {"successPolicy": "AllWorkers"},
            ContainerRecord("tensorflow", exit_code=0),
            [("Created", "True", "TFJob s is created."), S_RUNNING],
            id="TF-7-all-workers-keeps-running",
        ),
        pytest.param(
            {},
            ContainerRecord("tensorflow", running=True),
            [("Created", "True", "TFJob s is created."), S_RUNNING],
            id="TF-7-no-terminated-state-is-not-success",
        ),
    ],
)
def test_tf7_worker_0_success_rule(spec, worker_0, expected):
    cluster = FakeCluster(FRAMEWORK, tfjob("s", {"Worker": 4}, **spec))
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    cluster.set_pods(worker_0_of_s(worker_0))
    cluster.reconcile_until_quiet(NOW)
    assert conditions_of(cluster.status) == expected
    assert ("completionTime" in cluster.status) is (expected[-1][0] == "Succeeded")


def test_case_23_all_workers_succeed_only_when_all_four_did():
    cluster = FakeCluster(FRAMEWORK, tfjob("job-a", {"Worker": 4, "PS": 2}, successPolicy="AllWorkers"))
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.set_pods(
        lambda p: replace(p, phase="Succeeded") if p.labels[labels.REPLICA_TYPE] == "worker" else p
    )
    cluster.reconcile_until_quiet(NOW)
    assert conditions_of(cluster.status)[-1] == (
        "Succeeded",
        "True",
        "TFJob default/job-a successfully completed.",
    )
    assert cluster.status["completionTime"]


def test_tf9_chief_success_and_failed_workers_end_with_failed():
    body = tfjob("c", {"Chief": 1, "Worker": 2})
    pods = [
        a_pod("c", "Chief", 0, kind=KIND, phase="Succeeded", exit_code=0),
        a_pod("c", "Worker", 0, kind=KIND, phase="Failed", exit_code=1),
        a_pod("c", "Worker", 1, kind=KIND, phase="Failed", exit_code=1),
    ]
    plan = reconcile(body, *pods)
    assert plan.status is not None
    assert conditions_of(plan.status)[-2:] == [
        ("Succeeded", "True", "TFJob default/c successfully completed."),
        ("Failed", "True", "TFJob default/c has failed because 2 Worker replica(s) failed."),
    ]


def test_retryable_exit_code_deletes_the_pod_and_keeps_restarting():
    body = a_job(kind=KIND, name="r", replicas={"Worker": 2}, restart_policy="ExitCode")
    pods = [
        a_pod("r", "Worker", 0, kind=KIND, phase="Failed", exit_code=130),
        a_pod("r", "Worker", 1, kind=KIND, phase="Running"),
    ]
    plan = reconcile(body, *pods)
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == ["r-worker-0"]
    assert plan.status is not None
    assert [c[0] for c in conditions_of(plan.status)] == ["Created", "Restarting"]
    assert conditions_of(plan.status)[-1] == (
        "Restarting",
        "True",
        "job r is restarting because Worker replica(s) failed.",
    )


def test_worker_0_decides_only_when_it_is_alone_in_its_slot():
    body = tfjob("s", {"Worker": 2})
    pods = [
        a_pod("s", "Worker", 0, kind=KIND, phase="Succeeded", exit_code=0),
        a_pod("s", "Worker", 0, kind=KIND, phase="Running", name="s-worker-0-copy"),
        a_pod("s", "Worker", 1, kind=KIND, phase="Running"),
    ]
    plan = reconcile(body, *pods)
    assert plan.status is not None
    assert conditions_of(plan.status)[-1] == S_RUNNING
    alone = reconcile(body, pods[0], pods[2])
    assert alone.status is not None
    assert conditions_of(alone.status)[-1] == ("Succeeded", "True", "TFJob default/s successfully completed.")
