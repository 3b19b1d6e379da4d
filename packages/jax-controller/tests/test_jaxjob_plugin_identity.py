"""The JAXJob kind as the operator and kubectl see it (frameworks.md §0.3, §6.1, §6.2, §6.4).

Covers: the `jaxjob` entry point names this framework; kind constants (container `jax`, port
`jaxjob-port`/6666, scale subresource on Worker, selector written); defaults (cleanPodPolicy None, replicas 1,
restartPolicy Never, port 6666 on the `jax` container or container 0, `worker` normalised to `Worker`); every
pod with index 0 gets the master role.
"""

import pytest

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.jax.plugin import FRAMEWORK

JX = {"spec": {"containers": [{"name": "jax", "image": "jax:1"}]}}


def jaxjob(specs):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "JAXJob",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"jaxReplicaSpecs": specs},
    }


def test_entry_point_names_the_framework():
    assert discovery.discover(["jaxjob"])["jaxjob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular, kind.api_version) == (
        "JAXJob",
        "jaxjobs",
        "jaxjob",
        "kubeflow.org/v1",
    )
    assert (kind.replica_map_key, kind.replica_types, kind.normalised_types) == (
        "jaxReplicaSpecs",
        ("Worker",),
        ("Worker",),
    )
    assert (kind.default_container, kind.default_port_name, kind.default_port) == ("jax", "jaxjob-port", 6666)
    assert (kind.controller_name, kind.framework_label) == ("jaxjob-controller", "jax")
    assert kind.default_restart_policy is RestartPolicy.NEVER
    assert kind.scale_replica_type == "Worker"
    assert FRAMEWORK.restrict_replica_types
    assert FRAMEWORK.writes_selector


def test_defaults():
    job = FRAMEWORK.default(FRAMEWORK.parse(jaxjob({"worker": {"template": JX}})))
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    worker = job.replica_specs()["Worker"]
    assert worker is not None
    assert (worker.replicas, worker.restart_policy) == (1, RestartPolicy.NEVER)
    assert worker.template["spec"]["containers"][0]["ports"] == [
        {"name": "jaxjob-port", "containerPort": 6666}
    ]


def test_default_port_goes_to_the_jax_container_not_the_first():
    template = {
        "spec": {"containers": [{"name": "sidecar", "image": "s:1"}, {"name": "jax", "image": "jax:1"}]}
    }
    job = FRAMEWORK.default(FRAMEWORK.parse(jaxjob({"Worker": {"template": template}})))
    worker = job.replica_specs()["Worker"]
    assert worker is not None
    sidecar, jax = worker.template["spec"]["containers"]
    assert ("ports" not in sidecar, jax["ports"]) == (True, [{"name": "jaxjob-port", "containerPort": 6666}])


@pytest.mark.parametrize(("index", "master"), [(0, True), (1, False), (2, False)])
def test_master_role_is_on_every_index_zero_pod(index, master):
    job = FRAMEWORK.parse(jaxjob({"Worker": {"replicas": 3, "template": JX}}))
    assert FRAMEWORK.is_master_role(job, "Worker", index) is master
