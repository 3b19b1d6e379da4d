"""The MPIJob model and the plug-in object: lossless round trips (unknown fields kept, camelCase keys),
defaults applied only to a copy, and the identity the operator discovers (kind, version, names, children).
"""

import pytest

from training_operator.core.errors import InvalidJob
from training_operator.core.framework import ChildResource, Framework
from training_operator.mpi.plugin import FRAMEWORK
from training_operator.mpi.testing import job_body


def test_round_trip_keeps_unknown_fields():
    body = job_body(slotsPerWorker=0, futureField={"x": 1}, runPolicy={"suspend": False, "newPolicy": 3})
    body["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["futurePodField"] = True
    assert FRAMEWORK.parse(body).body() == body


def test_defaults_apply_to_a_copy():
    job = FRAMEWORK.parse(job_body(workers=None, worker={"template": {}}))
    spec = FRAMEWORK.default(job).body()["spec"]
    assert spec["runPolicy"] == {"cleanPodPolicy": "None"}
    assert (spec["slotsPerWorker"], spec["sshAuthMountPath"]) == (1, "/root/.ssh")
    assert (spec["mpiImplementation"], spec["launcherCreationPolicy"]) == ("OpenMPI", "AtStartup")
    replicas = spec["mpiReplicaSpecs"]
    assert (replicas["Launcher"]["replicas"], replicas["Launcher"]["restartPolicy"]) == (1, "OnFailure")
    assert (replicas["Worker"]["replicas"], replicas["Worker"]["restartPolicy"]) == (0, "Never")
    assert "slotsPerWorker" not in job.body()["spec"]


def test_wrong_kind_is_rejected():
    with pytest.raises(InvalidJob, match="Unsupported value"):
        FRAMEWORK.parse({**job_body(), "kind": "TFJob"})


def test_plugin_identity():
    assert isinstance(FRAMEWORK, Framework)
    kind = FRAMEWORK.kind
    assert (kind.kind, kind.api_version, kind.plural, kind.singular) == (
        "MPIJob",
        "kubeflow.org/v2beta1",
        "mpijobs",
        "mpijob",
    )
    assert (kind.replica_map_key, kind.replica_types, kind.short_names) == (
        "mpiReplicaSpecs",
        ("Launcher", "Worker"),
        ("mpij",),
    )
    assert (kind.controller_name, kind.framework_label, kind.scheme) == ("mpi-operator", "mpi", "mpijob")
    assert {ChildResource.BATCH_JOB, ChildResource.CONFIG_MAP, ChildResource.SECRET} <= kind.children
