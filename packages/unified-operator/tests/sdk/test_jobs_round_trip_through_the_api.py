"""Creating, reading, listing, updating and deleting jobs with the sync client.

Covers: each way to pass a job (dict, YAML path, our model, a Kubeflow-style model object), the namespace
rules (argument, manifest, kubeconfig context), the wire (paths, merge patch), typed answers for every kind
(MPIJob at v2beta1), and the typed errors (not found, kind not installed, forbidden, invalid, conflict).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from conftest import a_pytorch_job
from fakeapi import FakeApiServer

from training_operator.core.api.job import JobModel
from training_operator.unified.sdk import (
    AlreadyExists,
    Forbidden,
    InvalidSpec,
    JobNotFound,
    KindNotInstalled,
    TrainingClient,
    UnknownKind,
)


def test_create_from_dict_posts_to_the_kind_and_returns_the_stored_job(
    client: TrainingClient, api: FakeApiServer
):
    created = client.create_job(a_pytorch_job())

    assert isinstance(created, JobModel)
    assert (created.name, created.namespace) == ("mnist", "team")  # the kubeconfig context's namespace
    assert created.metadata.uid
    post = api.requests("POST")[0]
    assert post.path == "/apis/kubeflow.org/v1/namespaces/team/pytorchjobs"
    assert post.body["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 1


def test_create_from_yaml_path_honours_the_manifest_namespace(client: TrainingClient, tmp_path: Path):
    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(a_pytorch_job("from-file", namespace="default")))

    created = client.create_job(str(path))

    assert created.namespace == "default"


def test_namespace_argument_wins_and_path_and_body_agree(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job(namespace="default"), namespace="team", labels={"l": "v"})

    post = api.requests("POST")[0]
    assert post.path.endswith("/namespaces/team/pytorchjobs")
    assert post.body["metadata"]["namespace"] == "team"
    assert post.body["metadata"]["labels"] == {"l": "v"}


def test_create_from_our_model_and_a_kubeflow_style_object(client: TrainingClient, api: FakeApiServer):
    model = JobModel.model_validate(a_pytorch_job("as-model"))
    client.create_job(model)

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

    assert [j.name for j in client.list_jobs()] == ["as-model", "as-kubeflow"]


def test_get_and_list_return_models_and_empty_lists(client: TrainingClient):
    assert client.list_jobs(job_kind="TFJob") == []
    client.create_job(a_pytorch_job("one"))

    job = client.get_job("one")

    assert job.kind == "PyTorchJob"
    master = job.replica_specs()["Master"]
    assert master is not None
    assert master.replicas == 1


def test_mpijob_is_addressed_at_v2beta1(client: TrainingClient, api: FakeApiServer):
    body = {
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": {"name": "pi"},
        "spec": {"mpiReplicaSpecs": {"Launcher": {"replicas": 1, "template": {}}}},
    }
    client.create_job(body)

    assert client.get_job("pi", job_kind="mpijob").kind == "MPIJob"
    assert api.requests("GET", "/apis/kubeflow.org/v2beta1/namespaces/team/mpijobs/pi")


def test_kubeflow_v1_mpijob_is_refused_before_any_request(client: TrainingClient, api: FakeApiServer):
    body = {"apiVersion": "kubeflow.org/v1", "kind": "MPIJob", "metadata": {"name": "pi"}, "spec": {}}

    with pytest.raises(ValueError, match="v2beta1"):
        client.create_job(body)
    assert not api.requests("POST")


def test_update_sends_a_merge_patch_of_the_whole_job(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("grow"))
    changed = a_pytorch_job("grow", workers=3)
    changed["spec"]["pytorchReplicaSpecs"].pop("Master")

    updated = client.update_job(changed)

    patch = api.requests("PATCH")[0]
    assert patch.content_type == "application/merge-patch+json"
    specs = updated.body()["spec"]["pytorchReplicaSpecs"]
    assert specs["Worker"]["replicas"] == 3
    assert "Master" in specs  # maps merge


def test_delete_removes_the_job(client: TrainingClient):
    client.create_job(a_pytorch_job("gone"))
    client.delete_job("gone")

    with pytest.raises(JobNotFound, match="PyTorchJob team/gone not found"):
        client.get_job("gone")


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        pytest.param(lambda c: c.get_job("missing"), JobNotFound, "not found", id="job-not-found"),
        pytest.param(
            lambda c: c.delete_job("missing", job_kind="TFJob"), JobNotFound, "not found", id="delete-missing"
        ),
        pytest.param(lambda c: c.list_jobs(namespace="forbidden"), Forbidden, "cannot get", id="forbidden"),
        pytest.param(
            lambda c: c.create_job(a_pytorch_job("x", namespace="nowhere")),
            JobNotFound,
            "namespace 'nowhere' not found",
            id="missing-namespace",
        ),
        pytest.param(
            lambda c: c.get_job("x", job_kind="Paddle"),
            UnknownKind,
            "known kinds are MPIJob, MXJob",
            id="unknown-kind",
        ),
    ],
)
def test_failures_are_typed_and_say_what_went_wrong(client: TrainingClient, action, error, message):
    with pytest.raises(error, match=message) as caught:
        action(client)
    if not isinstance(caught.value, ValueError):
        assert isinstance(caught.value, RuntimeError)  # Kubeflow callers catch RuntimeError


def test_invalid_spec_carries_the_servers_field_causes(client: TrainingClient):
    with pytest.raises(InvalidSpec) as caught:
        client.create_job(a_pytorch_job("Bad_Name"))

    assert caught.value.status == 422
    assert caught.value.causes[0][0] == "metadata.name"


def test_conflict_on_a_second_create(client: TrainingClient):
    client.create_job(a_pytorch_job("twice"))
    with pytest.raises(AlreadyExists):
        client.create_job(a_pytorch_job("twice"))


def test_kind_not_installed_when_the_cluster_serves_no_such_resource(
    client: TrainingClient, api: FakeApiServer
):
    from fakeapi import SERVED

    served = SERVED[("kubeflow.org", "v1")].pop("xgboostjobs")
    try:
        with pytest.raises(KindNotInstalled, match=r"XGBoostJob .*kind not installed"):
            client.list_jobs(job_kind="xgboost")
        with pytest.raises(KindNotInstalled):
            client.get_job("x", job_kind="xgboost")
    finally:
        SERVED[("kubeflow.org", "v1")]["xgboostjobs"] = served


def test_builder_modes_are_refused_with_a_clear_message(client: TrainingClient):
    with pytest.raises(ValueError, match="base_image not supported"):
        client.create_job(name="x", base_image="img")
