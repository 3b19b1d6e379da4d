"""The PyTorchJob kind as the operator and kubectl see it, and its in-memory defaults (frameworks.md §0.3,
§2.1, §2.3; common.md §21 case 4).

Covers: the `pytorchjob` entry point names this framework and it satisfies the plug-in protocol; the kind's
constants (HPA among the watched children, Worker as the scale target, selectors written); common defaults
(cleanPodPolicy None, replicas 1, restartPolicy OnFailure, port 23456, `worker` normalised to `Worker`);
elastic bounds filled from each other or from the Worker count; `nprocPerNode` defaulted to `auto` unless
the deprecated elastic field is used; the stored object is never changed; the master-role rule.
"""

import copy

import pytest

from training_operator.core import discovery
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.core.framework import ChildResource
from training_operator.pytorch.plugin import FRAMEWORK

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def pytorchjob(specs, **spec):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "d", "namespace": "default"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


def test_entry_point_names_the_framework():
    # discovery checks what the operator relies on: a Framework whose scheme is the entry point's name
    assert discovery.discover(["pytorchjob"])["pytorchjob"] is FRAMEWORK


def test_kind_constants():
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.plural, kind.singular, kind.api_version) == (
        "PyTorchJob",
        "pytorchjobs",
        "pytorchjob",
        "kubeflow.org/v1",
    )
    assert (kind.replica_map_key, kind.replica_types, kind.normalised_types) == (
        "pytorchReplicaSpecs",
        ("Master", "Worker"),
        ("Master", "Worker"),
    )
    assert (kind.default_container, kind.default_port_name, kind.default_port) == (
        "pytorch",
        "pytorchjob-port",
        23456,
    )
    assert (kind.controller_name, kind.framework_label, kind.short_names) == (
        "pytorchjob-controller",
        "pytorch",
        ("ptj",),
    )
    assert kind.default_restart_policy is RestartPolicy.ON_FAILURE
    assert kind.scale_replica_type == "Worker"
    assert kind.children == {ChildResource.POD, ChildResource.SERVICE, ChildResource.HPA}
    assert FRAMEWORK.restrict_replica_types
    assert FRAMEWORK.writes_selector


def test_common_defaults_and_key_normalisation(defaulted):
    job = defaulted(pytorchjob({"Master": {"replicas": 1, "template": PT}, "worker": {"template": PT}}))
    assert job.run_policy.clean_pod_policy is CleanPodPolicy.NONE
    assert list(job.replica_specs()) == ["Master", "Worker"]
    worker = job.replica_specs()["Worker"]
    assert (worker.replicas, worker.restart_policy) == (1, RestartPolicy.ON_FAILURE)
    assert worker.template["spec"]["containers"][0]["ports"] == [
        {"name": "pytorchjob-port", "containerPort": 23456}
    ]


@pytest.mark.parametrize(
    ("elastic", "workers", "bounds"),
    [
        pytest.param({"minReplicas": 2, "maxReplicas": 6}, 3, (2, 6), id="both-kept"),
        pytest.param({"maxReplicas": 4}, 2, (4, 4), id="PT-5-max-fills-min"),
        pytest.param({"minReplicas": 3}, 2, (3, 3), id="min-fills-max"),
        pytest.param({}, 5, (5, 5), id="neither-from-worker-count"),
        pytest.param({}, None, (1, 1), id="neither-unset-worker-count-is-1"),
    ],
)
def test_elastic_bounds(defaulted, elastic, workers, bounds):
    worker = {"template": PT} if workers is None else {"replicas": workers, "template": PT}
    policy = defaulted(pytorchjob({"Worker": worker}, elasticPolicy=elastic)).spec.elastic_policy
    assert (policy.min_replicas, policy.max_replicas) == bounds


@pytest.mark.parametrize(
    ("spec", "nproc"),
    [
        pytest.param({}, "auto", id="unset-is-auto"),
        pytest.param({"nprocPerNode": "4"}, "4", id="kept"),
        pytest.param({"elasticPolicy": {}}, "auto", id="elastic-without-deprecated-field"),
        pytest.param(
            {"elasticPolicy": {"nProcPerNode": 4}}, None, id="PT-5-deprecated-field-leaves-it-unset"
        ),
    ],
)
def test_nproc_per_node_default(defaulted, spec, nproc):
    assert (
        defaulted(pytorchjob({"Worker": {"replicas": 1, "template": PT}}, **spec)).spec.nproc_per_node
        == nproc
    )


def test_defaulting_never_changes_the_stored_job(defaulted):
    body = pytorchjob({"worker": {"template": PT}}, elasticPolicy={})
    before = copy.deepcopy(body)
    defaulted(body)
    assert body == before
    assert FRAMEWORK.parse(body).to_wire() == before


@pytest.mark.parametrize(
    ("specs", "master_role"),
    [
        pytest.param(
            {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": 2, "template": PT}},
            {("Master", 0)},
            id="master-pods",
        ),
        pytest.param(
            {"Worker": {"replicas": 3, "template": PT}}, {("Worker", 0)}, id="worker-0-without-master"
        ),
    ],
)
def test_master_role(defaulted, specs, master_role):
    job = defaulted(pytorchjob(specs))
    slots = [(t, i) for t, s in job.replica_specs().items() for i in range(s.replicas)]
    assert {slot for slot in slots if FRAMEWORK.is_master_role(job, *slot)} == master_role
