"""create_job's function and image modes send exactly what Kubeflow 1.9's TrainingClient sends.

Both clients run offline: Kubeflow's API call and our transport are replaced by recorders, and the JSON
bodies are compared for tables of parameters (TF with chief/PS, PyTorch with 1 and 3 workers and
num_procs_per_worker, packages_to_install, env_vars as dict and list, resources as dict with gpu and as an
object, volumes, labels/annotations, a nested function). Also: A.5's ValueError rules refuse the same calls
in both, queue_name becomes the Kueue label, and XGBoostJob/MXJob image mode (ours only) has its shape.
"""

from __future__ import annotations

from typing import Any

import kubernetes
import pytest
from kubeflow.training import TrainingClient as KubeflowClient
from kubeflow.training import models

from training_operator.unified.sdk import TrainingClient, calls


def train(parameters: dict[str, Any]) -> None:
    print("training with", parameters)


def train_without_parameters() -> None:
    print("training")


def nested() -> Any:
    def inner_train() -> None:
        for step in range(2):
            print("step", step)

    return inner_train


ENV_LIST = [models.V1EnvVar(name="A", value="1"), {"name": "B", "value": "2"}]
VOLUMES = [models.V1Volume(name="data", empty_dir=models.V1EmptyDirVolumeSource())]
MOUNTS = [models.V1VolumeMount(name="data", mount_path="/data")]
RESOURCES = models.V1ResourceRequirements(limits={"cpu": "2"}, requests={"cpu": "1"})


CASES = [
    pytest.param(
        {
            "job_kind": "TFJob",
            "base_image": "tf:2",
            "num_workers": 2,
            "num_chief_replicas": 1,
            "num_ps_replicas": 1,
        },
        id="tf-image-chief-ps",
    ),
    pytest.param(
        {"job_kind": "TFJob", "train_func": train, "parameters": {"lr": 0.1}, "num_workers": 3},
        id="tf-function",
    ),
    pytest.param({"job_kind": "PyTorchJob", "train_func": train_without_parameters}, id="pytorch-1-worker"),
    pytest.param(
        {"job_kind": "PyTorchJob", "train_func": train, "parameters": {"epochs": 2}, "num_workers": 3},
        id="pytorch-3-workers-torchrun",
    ),
    pytest.param(
        {"job_kind": "PyTorchJob", "base_image": "pt:2", "num_workers": 1, "num_procs_per_worker": 4},
        id="pytorch-procs-per-worker",
    ),
    pytest.param(
        {"train_func": train_without_parameters, "num_procs_per_worker": "auto"},
        id="pytorch-default-kind-auto",
    ),
    pytest.param(
        {
            "train_func": train,
            "packages_to_install": ["numpy", "torchvision==0.17"],
            "pip_index_url": "https://mirror.example/simple",
        },
        id="packages",
    ),
    pytest.param({"base_image": "pt:2", "env_vars": {"LR": "0.1", "EPOCHS": "3"}}, id="env-dict"),
    pytest.param({"base_image": "pt:2", "env_vars": ENV_LIST}, id="env-list"),
    pytest.param(
        {
            "base_image": "pt:2",
            "num_workers": 2,
            "resources_per_worker": {"CPU": "4", "memory": "8Gi", "gpu": 1},
        },
        id="resources-dict-gpu",
    ),
    pytest.param({"base_image": "pt:2", "resources_per_worker": RESOURCES}, id="resources-object"),
    pytest.param({"base_image": "pt:2", "volumes": VOLUMES, "volume_mounts": MOUNTS}, id="volumes"),
    pytest.param(
        {"base_image": "pt:2", "labels": {"team": "ml"}, "annotations": {"note": "x"}, "namespace": "other"},
        id="labels-annotations-namespace",
    ),
    pytest.param({"job_kind": "TFJob", "train_func": nested()}, id="nested-function"),
]


def kubeflow_body(arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path parts and JSON body Kubeflow's own create_job sends."""
    client = KubeflowClient(client_configuration=kubernetes.client.Configuration(), namespace="team")
    sent: list[tuple[str, dict[str, Any]]] = []

    def create(group: str, version: str, namespace: str, plural: str, body: Any) -> None:
        json_body = kubernetes.client.ApiClient().sanitize_for_serialization(body)
        sent.append((f"/apis/{group}/{version}/namespaces/{namespace}/{plural}", json_body))

    client.custom_api.create_namespaced_custom_object = create
    client.create_job(name="job", **arguments)
    return sent[0]


def our_calls(arguments: dict[str, Any]) -> list[calls.Call]:
    """Every request our create_job makes, in order."""
    client = TrainingClient(client_configuration=kubernetes.client.Configuration(), namespace="team")
    sent: list[calls.Call] = []

    def request(call: calls.Call, *, timeout: float | None = None) -> Any:
        sent.append(call)
        return call.body

    client.api.request = request  # type: ignore[method-assign]
    client.create_job(name="job", **arguments)
    return sent


def our_body(arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The path and JSON body our create_job sends (its last request)."""
    create = our_calls(arguments)[-1]
    assert create.method == "POST"
    return create.path, create.body


@pytest.mark.parametrize("arguments", CASES)
def test_function_and_image_modes_send_kubeflows_json(arguments):
    ours = our_body(arguments)

    assert ours == kubeflow_body(arguments)


def test_function_mode_runs_the_source_with_the_parameters():
    _, body = our_body({"train_func": train, "parameters": {"lr": 0.1}, "num_workers": 2})

    container = body["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["bash", "-c"]
    script = container["args"][0]
    assert 'def train(parameters: dict[str, Any]) -> None:\n    print("training with", parameters)' in script
    assert "train({'lr': 0.1})" in script
    assert script.endswith('torchrun "$program_path/ephemeral_script.py"')


REFUSED = [
    pytest.param({"base_image": "img"}, "name", id="no-name"),
    pytest.param(
        {"name": "j", "base_image": "img", "num_workers": 0}, "At least one Worker", id="no-workers"
    ),
    pytest.param(
        {"name": "j", "job_kind": "TFJob", "base_image": "img", "num_procs_per_worker": 2},
        "num_procs_per_worker",
        id="tf-procs",
    ),
    pytest.param(
        {"name": "j", "base_image": "img", "num_chief_replicas": 1}, "num_chief_replicas", id="pytorch-chief"
    ),
    pytest.param(
        {"name": "j", "base_image": "img", "num_ps_replicas": 1}, "num_ps_replicas", id="pytorch-ps"
    ),
    pytest.param(
        {"name": "j", "base_image": "img", "volumes": VOLUMES}, "same length", id="volumes-without-mounts"
    ),
    pytest.param(
        {"name": "j", "job_kind": "XGBoostJob", "train_func": train}, "XGBoostJob", id="xgboost-function"
    ),
    pytest.param({"name": "j", "train_func": "not a function"}, "callable", id="not-callable"),
    pytest.param(
        {"job": {"kind": "PyTorchJob", "metadata": {"name": "j"}}, "base_image": "img"},
        "base_image",
        id="job-and-image",
    ),
    pytest.param({"name": "j", "job_kind": "SparkJob", "base_image": "img"}, "kind", id="unknown-kind"),
]


@pytest.mark.parametrize(("arguments", "message"), REFUSED)
def test_both_refuse_the_same_calls(arguments, message):
    ours = TrainingClient(client_configuration=kubernetes.client.Configuration(), namespace="team")
    kubeflow = KubeflowClient(client_configuration=kubernetes.client.Configuration(), namespace="team")
    kubeflow.custom_api.create_namespaced_custom_object = lambda *args: pytest.fail("Kubeflow sent it")
    if "job" in arguments:  # Kubeflow wants its own model object there
        kubeflow_arguments = {**arguments, "job": models.KubeflowOrgV1PyTorchJob(kind="PyTorchJob")}
    else:
        kubeflow_arguments = arguments

    with pytest.raises(ValueError, match=message):
        ours.create_job(**arguments)
    with pytest.raises(ValueError):  # noqa: PT011 - Kubeflow's wording differs; the type is the contract
        kubeflow.create_job(**kubeflow_arguments)


def test_an_unknown_builder_argument_is_a_type_error():
    ours = TrainingClient(client_configuration=kubernetes.client.Configuration(), namespace="team")

    with pytest.raises(TypeError, match="num_gpus"):
        ours.create_job(name="j", base_image="img", num_gpus=1)


def test_queue_name_becomes_the_kueue_label_after_looking_the_queue_up():
    lookup, create = our_calls({"base_image": "img", "labels": {"team": "ml"}, "queue_name": "gpu-queue"})

    assert (lookup.method, lookup.path) == (
        "GET",
        "/apis/kueue.x-k8s.io/v1beta1/namespaces/team/localqueues/gpu-queue",
    )
    assert create.body["metadata"]["labels"] == {"team": "ml", "kueue.x-k8s.io/queue-name": "gpu-queue"}


def test_xgboost_and_mxnet_image_mode():
    _, xgb = our_body({"job_kind": "XGBoostJob", "base_image": "xgb:1", "num_workers": 3})
    _, mx = our_body({"job_kind": "mxnet", "base_image": "mx:1", "num_workers": 2, "num_ps_replicas": 2})

    xgb_specs = xgb["spec"]["xgbReplicaSpecs"]
    assert {t: s["replicas"] for t, s in xgb_specs.items()} == {"Master": 1, "Worker": 2}
    assert xgb_specs["Master"]["template"]["spec"]["containers"][0] == {"name": "xgboost", "image": "xgb:1"}
    assert mx["spec"]["jobMode"] == "MXTrain"
    assert {t: s["replicas"] for t, s in mx["spec"]["mxReplicaSpecs"].items()} == {
        "Scheduler": 1,
        "Server": 2,
        "Worker": 2,
    }
    assert mx["spec"]["mxReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["name"] == "mxnet"


def test_paddle_image_mode_is_a_collective_job_of_workers():
    _, paddle = our_body({"job_kind": "PaddleJob", "base_image": "pd:1", "num_workers": 2})

    specs = paddle["spec"]["paddleReplicaSpecs"]
    assert {t: s["replicas"] for t, s in specs.items()} == {"Worker": 2}
    assert specs["Worker"]["template"]["spec"]["containers"][0] == {"name": "paddle", "image": "pd:1"}
