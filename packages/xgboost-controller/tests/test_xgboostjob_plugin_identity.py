"""The XGBoostJob kind as the operator and kubectl see it (frameworks.md §0.3, §4.1, §4.3, §4.6).

Covers: the `xgboostjob` entry point names this framework; kind constants; defaults (cleanPodPolicy None,
replicas 1, restartPolicy Never, port 9999, `worker` normalised to `Worker`); the Master pod, and only it,
gets the master role.
"""

import pytest

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.xgboost.plugin import FRAMEWORK

XG = {"spec": {"containers": [{"name": "xgboost", "image": "xgb:1"}]}}
BODY = {
    "apiVersion": "kubeflow.org/v1",
    "kind": "XGBoostJob",
    "metadata": {"name": "d"},
    "spec": {"xgbReplicaSpecs": {"Master": {"replicas": 1, "template": XG}, "worker": {"template": XG}}},
}


def test_entry_point_names_the_framework():
    # discovery checks what the operator relies on: a Framework whose scheme is the entry point's name
    assert discovery.discover(["xgboostjob"])["xgboostjob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular) == ("XGBoostJob", "xgboostjobs", "xgboostjob")
    assert (kind.short_names, kind.api_version) == (("xgbj",), "kubeflow.org/v1")
    assert (kind.replica_map_key, kind.replica_types, kind.normalised_types) == (
        "xgbReplicaSpecs",
        ("Master", "Worker"),
        ("Master", "Worker"),
    )
    assert (kind.default_container, kind.default_port_name, kind.default_port) == (
        "xgboost",
        "xgboostjob-port",
        9999,
    )
    assert (kind.controller_name, kind.framework_label) == ("xgboostjob-controller", "xgboost")
    assert kind.default_restart_policy is RestartPolicy.NEVER
    assert FRAMEWORK.restrict_replica_types
    assert not FRAMEWORK.writes_selector


def test_defaults():
    job = FRAMEWORK.default(FRAMEWORK.parse(BODY))
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    assert sorted(job.replica_specs()) == ["Master", "Worker"]
    worker = job.replica_specs()["Worker"]
    assert worker is not None
    assert (worker.replicas, worker.restart_policy) == (1, RestartPolicy.NEVER)
    assert worker.template["spec"]["containers"][0]["ports"] == [
        {"name": "xgboostjob-port", "containerPort": 9999}
    ]


@pytest.mark.parametrize(
    ("replica_type", "index", "master"),
    [
        pytest.param("Master", 0, True, id="master-0"),
        pytest.param("Worker", 0, False, id="worker-0"),
        pytest.param("Worker", 1, False, id="worker-1"),
    ],
)
def test_master_role_is_on_the_master_pod(replica_type, index, master):
    assert FRAMEWORK.is_master_role(FRAMEWORK.parse(BODY), replica_type, index) is master
