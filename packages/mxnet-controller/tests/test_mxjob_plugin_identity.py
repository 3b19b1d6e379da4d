"""The MXJob kind as the operator and kubectl see it (frameworks.md §0.3, §3.1, §3.3, §3.6).

Covers: the `mxjob` entry point names this framework; kind constants (plural, map key, types, container,
port, controller and framework names); defaults (cleanPodPolicy None, replicas 1, restartPolicy Never,
port 9091); Server pods, and only they, get the master role (quirk F14, replicated).
"""

from typing import Any

import pytest

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.mxnet.plugin import FRAMEWORK

MX = {"spec": {"containers": [{"name": "mxnet", "image": "mx:1"}]}}


def test_entry_point_names_the_framework():
    # discovery checks what the operator relies on: a Framework whose scheme is the entry point's name
    assert discovery.discover(["mxjob"])["mxjob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular, kind.short_names) == ("MXJob", "mxjobs", "mxjob", ("mxj",))
    assert (kind.api_version, kind.replica_map_key) == ("kubeflow.org/v1", "mxReplicaSpecs")
    assert kind.replica_types == ("Scheduler", "Server", "Worker", "TunerTracker", "TunerServer", "Tuner")
    assert kind.normalised_types == ("Scheduler", "Server", "Worker")
    assert (kind.default_container, kind.default_port_name, kind.default_port) == (
        "mxnet",
        "mxjob-port",
        9091,
    )
    assert (kind.controller_name, kind.framework_label) == ("mxjob-controller", "mxnet")
    assert kind.default_restart_policy is RestartPolicy.NEVER
    assert not FRAMEWORK.restrict_replica_types
    assert not FRAMEWORK.writes_selector


def test_defaults():
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "MXJob",
        "metadata": {"name": "d"},
        "spec": {"jobMode": "MXTrain", "mxReplicaSpecs": {"Worker": {"template": MX}}},
    }
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    worker = job.replica_specs()["Worker"]
    assert worker is not None
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    assert (worker.replicas, worker.restart_policy) == (1, RestartPolicy.NEVER)
    assert worker.template["spec"]["containers"][0]["ports"] == [
        {"name": "mxjob-port", "containerPort": 9091}
    ]


@pytest.mark.parametrize(
    ("replica_type", "index", "master"),
    [
        pytest.param("Server", 0, True, id="server-0"),
        pytest.param("Server", 1, True, id="server-1"),
        pytest.param("Scheduler", 0, False, id="scheduler"),
        pytest.param("Worker", 0, False, id="worker-0"),
        pytest.param("TunerServer", 0, False, id="tunerserver"),
    ],
)
def test_master_role_is_on_server_pods(replica_type, index, master):
    assert FRAMEWORK.is_master_role(FRAMEWORK.parse(_body()), replica_type, index) is master


def _body() -> dict[str, Any]:
    specs = {t: {"template": MX} for t in ("Scheduler", "Server", "Worker")}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "MXJob",
        "metadata": {"name": "bp"},
        "spec": {"jobMode": "MXTrain", "mxReplicaSpecs": specs},
    }
