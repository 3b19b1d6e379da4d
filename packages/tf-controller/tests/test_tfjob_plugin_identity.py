"""The TFJob kind as the operator and kubectl see it (frameworks.md §0.3, §1.1, §1.3, §1.6).

Covers: the `tfjob` entry point names this framework; kind constants; defaults (cleanPodPolicy None with an
explicit value kept, successPolicy "", keys case-normalised, replicas 1, restartPolicy Never with an explicit
one kept, port 2222 on the `tensorflow` container or else container 0, unknown types defaulted too);
master role on Chief/Master pods when such a spec exists, else on worker 0 only.
"""

from typing import Any

import pytest

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.tf.api import TFJob
from training_operator.tf.plugin import FRAMEWORK

TF = {"spec": {"containers": [{"name": "tensorflow", "image": "tf:1"}]}}
DEFAULT_PORT = [{"name": "tfjob-port", "containerPort": 2222}]


def tfjob(specs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": "d"},
        "spec": {"tfReplicaSpecs": specs, **spec},
    }


def defaulted(body: dict[str, Any]) -> TFJob:
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    assert isinstance(job, TFJob)
    return job


def test_entry_point_names_the_framework():
    # discovery checks what the operator relies on: a Framework whose scheme is the entry point's name
    assert discovery.discover(["tfjob"])["tfjob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular, kind.short_names) == ("TFJob", "tfjobs", "tfjob", ("tfj",))
    assert kind.api_version == "kubeflow.org/v1"
    types = ("PS", "Worker", "Chief", "Master", "Evaluator")
    assert (kind.replica_map_key, kind.replica_types, kind.normalised_types) == (
        "tfReplicaSpecs",
        types,
        types,
    )
    assert (kind.default_container, kind.default_port_name, kind.default_port) == (
        "tensorflow",
        "tfjob-port",
        2222,
    )
    assert (kind.controller_name, kind.framework_label) == ("tfjob-controller", "tensorflow")
    assert kind.default_restart_policy is RestartPolicy.NEVER
    assert kind.categories == ("kubeflow", "all")
    assert kind.scale_replica_type is None
    assert not FRAMEWORK.restrict_replica_types
    assert not FRAMEWORK.writes_selector


def test_defaults():
    body = tfjob(
        {
            "worker": {"template": TF},
            "ps": {
                "restartPolicy": "OnFailure",
                "template": {"spec": {"containers": [{"name": "x", "image": "i"}]}},
            },
            "Foo": {"template": TF},
        }
    )
    job = defaulted(body)
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    assert job.spec.success_policy == ""
    specs = job.replica_specs()
    assert sorted(specs) == ["Foo", "PS", "Worker"]
    summary = {
        k: (s.replicas, s.restart_policy, s.template["spec"]["containers"][0]["ports"])
        for k, s in specs.items()
        if s is not None
    }
    assert summary == {
        "Worker": (1, RestartPolicy.NEVER, DEFAULT_PORT),
        "PS": (1, RestartPolicy.ON_FAILURE, DEFAULT_PORT),
        "Foo": (1, RestartPolicy.NEVER, DEFAULT_PORT),
    }


def test_explicit_values_are_kept():
    body = tfjob(
        {"Worker": {"template": TF}}, successPolicy="AllWorkers", runPolicy={"cleanPodPolicy": "All"}
    )
    job = defaulted(body)
    assert (job.run_policy.clean_pod_policy, job.spec.success_policy) == (CleanPodPolicy.ALL, "AllWorkers")


def test_defaulting_never_changes_the_stored_body():
    body = tfjob({"worker": {"template": TF}})
    job = FRAMEWORK.parse(body)
    FRAMEWORK.default(job)
    assert job.body() == body


WITH_CHIEF = tfjob({"Chief": {"template": TF}, "Worker": {"replicas": 2, "template": TF}})
WITH_MASTER = tfjob({"Master": {"template": TF}, "PS": {"template": TF}, "Worker": {"template": TF}})
WORKERS_ONLY = tfjob(
    {"PS": {"template": TF}, "Evaluator": {"template": TF}, "Worker": {"replicas": 2, "template": TF}}
)


@pytest.mark.parametrize(
    ("body", "replica_type", "index", "master"),
    [
        pytest.param(WITH_CHIEF, "Chief", 0, True, id="chief"),
        pytest.param(WITH_CHIEF, "Worker", 0, False, id="worker-0-with-chief"),
        pytest.param(WITH_MASTER, "Master", 0, True, id="master"),
        pytest.param(WITH_MASTER, "PS", 0, False, id="ps-with-master"),
        pytest.param(WORKERS_ONLY, "Worker", 0, True, id="worker-0"),
        pytest.param(WORKERS_ONLY, "Worker", 1, False, id="worker-1"),
        pytest.param(WORKERS_ONLY, "PS", 0, False, id="ps"),
        pytest.param(WORKERS_ONLY, "Evaluator", 0, False, id="evaluator"),
    ],
)
def test_master_role(body, replica_type, index, master):
    job = defaulted(body)
    assert FRAMEWORK.is_master_role(job, replica_type, index) is master
