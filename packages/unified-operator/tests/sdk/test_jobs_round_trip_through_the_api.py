"""Creating, reading, listing, updating and deleting jobs with the sync client, on the local cluster.

Covers: each way to pass a job (dict, YAML path, our model, a Kubeflow-style model object), the namespace
rules (argument, manifest, kubeconfig context; path and body agree, which the server insists on), typed
answers for every kind (MPIJob at v2beta1), merge-patch updates, and the typed errors as the real API server
produces them: not found, missing namespace, kind not installed (CRD absent), forbidden (a terminating
namespace; rejected credentials), invalid spec with the server's field causes, conflict, unknown kind.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import ClassVar

import kubernetes
import pytest
import yaml
from localapi import World, a_pytorch_job, install_crds, new_namespace, write_kubeconfig

from training_operator.core.api.job import JobModel
from training_operator.local.testing import BackgroundCluster
from training_operator.unified.sdk import (
    AlreadyExists,
    Forbidden,
    InvalidSpec,
    JobNotFound,
    KindNotInstalled,
    TrainingClient,
    UnknownKind,
)


def test_create_from_dict_returns_the_stored_job_in_the_contexts_namespace(
    client: TrainingClient, world: World
):
    created = client.create_job(a_pytorch_job())

    assert isinstance(created, JobModel)
    assert (created.name, created.namespace) == ("mnist", world.namespace)
    assert created.metadata.uid  # what the server assigned, not what we sent
    assert world.requests() == {"create pytorchjobs": 1}
    stored = world.get("pytorchjobs", "mnist")
    assert stored is not None
    assert stored["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 1


def test_create_from_yaml_path_honours_the_manifest_namespace(
    client: TrainingClient, world: World, tmp_path: Path
):
    other = new_namespace(world.kube)
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(a_pytorch_job("from-file", namespace=other)))

    created = client.create_job(str(path))

    assert created.namespace == other
    assert world.custom.get_namespaced_custom_object("kubeflow.org", "v1", other, "pytorchjobs", "from-file")


def test_namespace_argument_wins_and_labels_are_merged(client: TrainingClient, world: World):
    # the manifest names another namespace: a server refuses a body whose namespace differs from the path's
    job = a_pytorch_job(namespace="default")
    job["metadata"]["labels"] = {"team": "ml"}

    created = client.create_job(job, namespace=world.namespace, labels={"l": "v"}, annotations={"a": "b"})

    assert created.namespace == world.namespace
    assert created.metadata.labels == {"team": "ml", "l": "v"}
    assert created.metadata.annotations == {"a": "b"}


def test_create_from_our_model_and_a_kubeflow_style_object(client: TrainingClient):
    client.create_job(JobModel.model_validate(a_pytorch_job("as-model")))

    class KubeflowLike:  # what openapi-generator models look like to the kubernetes sanitizer
        openapi_types: ClassVar = {
            "api_version": "str",
            "kind": "str",
            "metadata": "object",
            "spec": "object",
        }
        attribute_map: ClassVar = {
            "api_version": "apiVersion",
            "kind": "kind",
            "metadata": "metadata",
            "spec": "spec",
        }

        def __init__(self) -> None:
            body = a_pytorch_job("as-kubeflow")
            self.api_version, self.kind = body["apiVersion"], body["kind"]
            self.metadata, self.spec = body["metadata"], body["spec"]

    client.create_job(KubeflowLike())

    assert sorted(j.name for j in client.list_jobs()) == ["as-kubeflow", "as-model"]


def test_get_and_list_return_models_and_empty_lists(client: TrainingClient, world: World):
    assert client.list_jobs(job_kind="TFJob") == []
    client.create_job(a_pytorch_job("one"))
    client.create_job(a_pytorch_job("two"))

    job = client.get_job("one")

    assert job.kind == "PyTorchJob"
    master = job.replica_specs()["Master"]
    assert master is not None
    assert master.replicas == 1
    assert job.run_policy is not None
    assert [j.name for j in client.list_jobs(label_selector="absent=label")] == []
    assert sorted(j.name for j in client.list_jobs()) == ["one", "two"]
    assert world.requests() == {
        "list tfjobs": 1,
        "create pytorchjobs": 2,
        "get pytorchjobs": 1,
        "list pytorchjobs": 2,
    }
    assert client.list_jobs(job_kind="TFJob") == []


@pytest.mark.parametrize(
    ("kind", "version", "replicas_key", "extra"),
    [
        pytest.param("TFJob", "v1", "tfReplicaSpecs", {}, id="tf"),
        pytest.param("MXJob", "v1", "mxReplicaSpecs", {"jobMode": "MXTrain"}, id="mx"),
        pytest.param("XGBoostJob", "v1", "xgbReplicaSpecs", {}, id="xgboost"),
        pytest.param("MPIJob", "v2beta1", "mpiReplicaSpecs", {}, id="mpi"),
    ],
)
def test_every_kind_round_trips(client: TrainingClient, kind, version, replicas_key, extra):
    template = {"spec": {"containers": [{"name": "main", "image": "x", "command": ["true"]}]}}
    spec = {replicas_key: {"Worker": {"replicas": 1, "template": template}}, **extra}
    body = {"apiVersion": f"kubeflow.org/{version}", "kind": kind, "metadata": {"name": "k"}, "spec": spec}

    client.create_job(body)

    job = client.get_job("k", job_kind=kind)
    assert (job.kind, job.api_version) == (kind, f"kubeflow.org/{version}")
    assert [j.name for j in client.list_jobs(job_kind=kind.lower())] == ["k"]
    client.delete_job("k", job_kind=kind)
    assert client.list_jobs(job_kind=kind) == []


def test_kubeflow_v1_mpijob_is_refused_before_any_request(client: TrainingClient, world: World):
    body = {"apiVersion": "kubeflow.org/v1", "kind": "MPIJob", "metadata": {"name": "pi"}, "spec": {}}

    with pytest.raises(ValueError, match="v2beta1"):
        client.create_job(body)
    assert world.requests() == {}


def test_update_merge_patches_the_whole_job(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("grow"))
    changed = a_pytorch_job("grow", workers=3)
    changed["spec"]["pytorchReplicaSpecs"].pop("Master")

    updated = client.update_job(changed)

    specs = updated.body()["spec"]["pytorchReplicaSpecs"]
    assert specs["Worker"]["replicas"] == 3
    assert "Master" in specs  # a merge patch merges maps: the Master the patch left out stays
    assert updated.metadata.generation == 2
    assert world.requests()["patch pytorchjobs"] == 1


def test_delete_removes_the_job(client: TrainingClient):
    client.create_job(a_pytorch_job("gone"))
    client.delete_job("gone")

    with pytest.raises(JobNotFound, match=r"PyTorchJob .*/gone not found"):
        client.get_job("gone")


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        pytest.param(lambda c: c.get_job("missing"), JobNotFound, "not found", id="job-not-found"),
        pytest.param(
            lambda c: c.delete_job("missing", job_kind="TFJob"), JobNotFound, "not found", id="delete-missing"
        ),
        pytest.param(
            lambda c: c.update_job(a_pytorch_job("missing")), JobNotFound, "not found", id="update-missing"
        ),
        pytest.param(
            lambda c: c.create_job(a_pytorch_job("x", namespace="nowhere")),
            JobNotFound,
            "namespace 'nowhere' not found",
            id="missing-namespace",
        ),
        pytest.param(
            lambda c: c.get_job("x", job_kind="Foo"),
            UnknownKind,
            "known kinds are JAXJob, MPIJob, MXJob",
            id="unknown-kind",
        ),
        pytest.param(
            lambda c: c.create_job({"kind": "SparkJob", "metadata": {"name": "p"}}),
            UnknownKind,
            "'SparkJob'",
            id="unknown-kind-in-body",
        ),
        pytest.param(
            lambda c: c.create_job({"kind": "PyTorchJob", "spec": {}}),
            ValueError,
            "has no metadata.name",
            id="no-name",
        ),
    ],
)
def test_failures_are_typed_and_say_what_went_wrong(client: TrainingClient, action, error, message):
    with pytest.raises(error, match=message) as caught:
        action(client)
    if not isinstance(caught.value, ValueError):
        assert isinstance(caught.value, RuntimeError)  # Kubeflow callers catch RuntimeError


def test_invalid_yaml_file_names_file_and_line(client: TrainingClient, tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("kind: PyTorchJob\nmetadata:\n  name: [oops\n")

    with pytest.raises(ValueError, match=rf"{path}:4:1: invalid YAML"):
        client.create_job(str(path))


def test_invalid_spec_carries_the_servers_field_causes(kubeconfig: Path):
    client = TrainingClient(config_file=str(kubeconfig), strict=False)  # the server's answer, not ours
    bad = a_pytorch_job("bad")
    bad["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = "two"

    with pytest.raises(InvalidSpec, match="must be of type integer") as caught:
        client.create_job(bad)

    assert caught.value.status == 422
    assert [field for field, _ in caught.value.causes] == ["spec.pytorchReplicaSpecs.Worker.replicas"]
    with pytest.raises(InvalidSpec) as caught:
        client.create_job(a_pytorch_job("Bad_Name"))
    assert caught.value.causes[0][0] == "metadata.name"


@pytest.mark.parametrize(
    ("change", "path", "text"),
    [
        pytest.param(
            lambda spec: spec["pytorchReplicaSpecs"]["Worker"].update(replicass=2),
            "spec.pytorchReplicaSpecs.Worker.replicass",
            'strict decoding error: unknown field "spec.pytorchReplicaSpecs.Worker.replicass"',
            id="unknown-field",
        ),
        pytest.param(
            lambda spec: spec["pytorchReplicaSpecs"]["Worker"].update(replicas=2**31),
            "spec.pytorchReplicaSpecs[Worker].replicas",
            "must be less than or equal to 2048",
            id="replicas-past-the-bound",
        ),
    ],
)
def test_the_sdk_refuses_what_the_schema_refuses_before_sending(client: TrainingClient, change, path, text):
    bad = a_pytorch_job("typo")
    change(bad["spec"])

    with pytest.raises(InvalidSpec, match=re.escape(text)) as caught:
        client.create_job(bad)

    assert caught.value.status is None  # refused here: nothing was sent
    assert [field for field, _ in caught.value.causes] == [path]
    with pytest.raises(JobNotFound):
        client.get_job("typo")


def test_strict_false_leaves_unknown_fields_to_the_server(kubeconfig: Path):
    lenient = TrainingClient(config_file=str(kubeconfig), strict=False)
    job = a_pytorch_job("newer")
    job["spec"]["fieldFromTheFuture"] = True

    with pytest.raises(InvalidSpec, match=r'unknown field "spec\.fieldFromTheFuture"') as caught:
        lenient.create_job(job)  # the local API server is strict for our kinds by default, as kubectl is

    assert caught.value.status == 400


def test_conflict_on_a_second_create(client: TrainingClient):
    client.create_job(a_pytorch_job("twice"))
    with pytest.raises(AlreadyExists, match="already exists"):
        client.create_job(a_pytorch_job("twice"))


def test_forbidden_in_a_terminating_namespace(client: TrainingClient, world: World):
    closing = world.terminating_namespace()

    with pytest.raises(Forbidden, match="being terminated") as caught:
        client.create_job(a_pytorch_job("late"), namespace=closing)
    assert caught.value.status == 403


def test_rejected_credentials_are_forbidden(world: World, tmp_path: Path):
    config = yaml.safe_load(world.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "not-the-token"
    path = tmp_path / "bad-token"
    path.write_text(yaml.safe_dump(config))

    with pytest.raises(Forbidden, match="unauthorized") as caught:
        TrainingClient(config_file=str(path)).list_jobs()
    assert caught.value.status == 401


def test_no_namespace_in_the_context_means_default(world: World, tmp_path: Path):
    path = write_kubeconfig(world.kubeconfig, tmp_path / "no-ns", None)

    client = TrainingClient(config_file=str(path))

    assert client.namespace == "default"


def test_kind_not_installed_when_its_crd_is_absent(tmp_path: Path):
    with BackgroundCluster(tmp_path / "bare", kubelet=False) as bare:
        kube = kubernetes.config.new_client_from_config(config_file=str(bare.kubeconfig_path))
        install_crds(kube, skip=("xgboostjobs",))
        client = TrainingClient(config_file=str(bare.kubeconfig_path))

        with pytest.raises(KindNotInstalled, match=r"XGBoostJob .*kind not installed"):
            client.list_jobs(job_kind="xgboost")
        with pytest.raises(KindNotInstalled):
            client.get_job("x", job_kind="xgboost")
        with pytest.raises(KindNotInstalled):
            client.create_job(
                {
                    "apiVersion": "kubeflow.org/v1",
                    "kind": "XGBoostJob",
                    "metadata": {"name": "x"},
                    "spec": {"xgbReplicaSpecs": {}},
                }
            )
        assert client.list_jobs(job_kind="pytorch") == []
        kube.close()


def test_queue_name_without_kueue_is_a_warning(client: TrainingClient, world: World, caplog):
    with caplog.at_level(logging.WARNING):
        job = client.create_job(name="no-kueue", base_image="img", queue_name="gpu")

    assert job.metadata.labels == {"kueue.x-k8s.io/queue-name": "gpu"}
    assert "Kueue is not installed" in caplog.text


def test_suspend_and_resume_merge_patch_run_policy(client: TrainingClient, world: World):
    job = a_pytorch_job("pause")
    job["spec"]["runPolicy"] = {"backoffLimit": 2}
    client.create_job(job)

    suspended = client.set_job_suspended("pause")

    assert suspended.body()["spec"]["runPolicy"] == {"backoffLimit": 2, "suspend": True}
    assert client.set_job_suspended("pause", False).body()["spec"]["runPolicy"]["suspend"] is False
    with pytest.raises(JobNotFound):
        client.set_job_suspended("absent")


def test_served_versions_come_from_the_crds(client: TrainingClient, tmp_path: Path):
    assert client.get_served_versions("mpi") == ["v2beta1"]
    assert client.get_served_versions() == ["v1"]
    with BackgroundCluster(tmp_path / "bare", kubelet=False) as bare:
        assert TrainingClient(config_file=str(bare.kubeconfig_path)).get_served_versions("tf") == []
