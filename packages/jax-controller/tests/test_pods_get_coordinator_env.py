"""The coordinator env of every JAXJob pod (frameworks.md §6.3, acceptance JX-1, JX-2, JX-3).

Covers: PYTHONUNBUFFERED, COORDINATOR_PORT (the Worker spec's `jaxjob-port`), COORDINATOR_ADDRESS (bare
`<name>-worker-0`), NUM_PROCESSES and PROCESS_ID, in upstream's order, appended after the user's own entries
on every container (sidecars too); a custom port is used and no 6666 port is added; a job whose `jax`
container lost its port cannot build a pod (upstream's "default container port is not exposed").
"""

import pytest

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, ReplicaRef
from training_operator.jax.plugin import FRAMEWORK

JX = {"spec": {"containers": [{"name": "jax", "image": "jax:1"}]}}


def jaxjob(name, worker, namespace="kubeflow"):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "JAXJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"jaxReplicaSpecs": {"Worker": worker}},
    }


def env(pod, container=0):
    return [(e["name"], e.get("value")) for e in pod["spec"]["containers"][container]["env"]]


def expected(port, address, processes, process_id):
    return [
        ("PYTHONUNBUFFERED", "1"),
        ("COORDINATOR_PORT", port),
        ("COORDINATOR_ADDRESS", address),
        ("NUM_PROCESSES", processes),
        ("PROCESS_ID", process_id),
    ]


@pytest.mark.parametrize("index", [0, 1])
def test_jx1_shipped_demo(pod_of, index):
    body = jaxjob("jaxjob-simple", {"replicas": 2, "restartPolicy": "OnFailure", "template": JX})
    pod = pod_of(body, "Worker", index)
    assert env(pod) == expected("6666", "jaxjob-simple-worker-0", "2", str(index))
    assert pod["spec"]["containers"][0]["ports"] == [{"name": "jaxjob-port", "containerPort": 6666}]


def test_jx2_custom_port(pod_of):
    template = {
        "spec": {
            "containers": [
                {"name": "jax", "image": "jax:1", "ports": [{"name": "jaxjob-port", "containerPort": 7777}]}
            ]
        }
    }
    pod = pod_of(jaxjob("custom", {"replicas": 3, "template": template}), "Worker", 2)
    assert env(pod) == expected("7777", "custom-worker-0", "3", "2")
    assert pod["spec"]["containers"][0]["ports"] == [{"name": "jaxjob-port", "containerPort": 7777}]


def test_jx3_single_replica(pod_of, defaulted):
    body = jaxjob("one", {"template": JX})
    assert env(pod_of(body, "Worker", 0)) == expected("6666", "one-worker-0", "1", "0")
    worker = defaulted(body).replica_specs()["Worker"]
    assert str(worker.restart_policy) == "Never"


def test_sidecar_gets_env_after_the_users_own(pod_of):
    template = {
        "spec": {
            "containers": [
                {"name": "jax", "image": "jax:1", "env": [{"name": "PROCESS_ID", "value": "mine"}]},
                {"name": "logger", "image": "busybox"},
            ]
        }
    }
    pod = pod_of(jaxjob("side", {"replicas": 2, "template": template}), "Worker", 1)
    ours = expected("6666", "side-worker-0", "2", "1")
    assert (env(pod, 0), env(pod, 1)) == ([("PROCESS_ID", "mine"), *ours], ours)


def test_missing_port_is_a_reconcile_error_with_upstreams_text(defaulted):
    job = defaulted(jaxjob("lost", {"template": JX}))
    worker = job.replica_specs()["Worker"]
    del worker.template["spec"]["containers"][0]["ports"]
    with pytest.raises(ReconcileError, match=r"^default container port is not exposed$"):
        FRAMEWORK.replica_pod(job, ReplicaRef("Worker", 0), {"spec": {}}, options=EngineOptions())
