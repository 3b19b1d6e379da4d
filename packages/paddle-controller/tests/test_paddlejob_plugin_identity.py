"""The PaddleJob kind as the operator and kubectl see it (frameworks.md §0.3, §5.1, §5.3).

Covers: the `paddlejob` entry point names this framework; kind constants (scale subresource on Worker, the
selector written); defaults (cleanPodPolicy None, replicas 1, restartPolicy OnFailure, `worker` normalised).
"""

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.paddle.plugin import FRAMEWORK

PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}


def test_entry_point_names_the_framework():
    assert discovery.discover(["paddlejob"])["paddlejob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular, kind.api_version) == (
        "PaddleJob",
        "paddlejobs",
        "paddlejob",
        "kubeflow.org/v1",
    )
    assert (kind.replica_map_key, kind.replica_types) == ("paddleReplicaSpecs", ("Master", "Worker"))
    assert (kind.default_container, kind.default_port_name, kind.default_port) == ("paddle", "master", 36543)
    assert (kind.controller_name, kind.framework_label, kind.scale_replica_type) == (
        "paddlejob-controller",
        "paddle",
        "Worker",
    )
    assert kind.default_restart_policy is RestartPolicy.ON_FAILURE
    assert FRAMEWORK.restrict_replica_types
    assert FRAMEWORK.writes_selector


def test_defaults():
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PaddleJob",
        "metadata": {"name": "d"},
        "spec": {"paddleReplicaSpecs": {"worker": {"template": PD}}},
    }
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    ((key, spec),) = job.replica_specs().items()
    assert spec is not None
    assert (key, spec.replicas, spec.restart_policy) == ("Worker", 1, RestartPolicy.ON_FAILURE)
