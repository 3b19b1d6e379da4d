"""Kubeflow's own Python SDK (`kubeflow-training` 1.9.x, import `kubeflow.training`), unchanged, drives our
operator on the local cluster (sdk-and-ops.md A.5, A.9).

Each job is built with the SDK's model classes, created with `TrainingClient.create_job`, awaited with
`wait_for_job_conditions`, inspected with `get_job_conditions`, `is_job_succeeded`, `get_job_pod_names`,
`get_job_logs` and `list_jobs`, then deleted with `delete_job`. The pods run small real commands on this node,
so a job succeeds only when its command did. Kinds: PyTorchJob, TFJob, XGBoostJob and JAXJob.

MPIJob is not covered: the SDK's MPIJob is `kubeflow.org/v1`, and we serve MPIJob as `v2beta1` only, so every
SDK MPIJob call gets 404 from our cluster by design (sdk-and-ops.md A.9-12, mpi.md).
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import kubernetes
import pytest
from kubeflow.training import (
    KubeflowOrgV1JAXJob,
    KubeflowOrgV1JAXJobSpec,
    KubeflowOrgV1PaddleJob,
    KubeflowOrgV1PaddleJobSpec,
    KubeflowOrgV1PyTorchJob,
    KubeflowOrgV1PyTorchJobSpec,
    KubeflowOrgV1ReplicaSpec,
    KubeflowOrgV1RunPolicy,
    KubeflowOrgV1TFJob,
    KubeflowOrgV1TFJobSpec,
    KubeflowOrgV1XGBoostJob,
    KubeflowOrgV1XGBoostJobSpec,
    TrainingClient,
    constants,
)

pytestmark = pytest.mark.e2e

API_VERSION = "kubeflow.org/v1"
WAIT_SECONDS = 240


@pytest.fixture(scope="module")
def namespace(kube: kubernetes.client.ApiClient, operator: Any) -> Iterator[str]:
    """A namespace of this module's own, so `list_jobs` reads only the jobs created here."""
    name = f"sdk-e2e-{uuid.uuid4().hex[:8]}"
    core = kubernetes.client.CoreV1Api(kube)
    core.create_namespace(kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=name)))
    yield name
    core.delete_namespace(name)


@pytest.fixture(scope="module")
def client(cluster: Any) -> TrainingClient:
    return TrainingClient(config_file=str(cluster.kubeconfig_path))


def replica(container: str, marker: str, script: str, replicas: int = 1) -> KubeflowOrgV1ReplicaSpec:
    """One replica type whose container prints `marker` after running `script` (Python), then exits 0."""
    command = ["python3", "-c", f"{script}\nprint({marker!r}, flush=True)"]
    return KubeflowOrgV1ReplicaSpec(
        replicas=replicas,
        restart_policy="Never",
        template=kubernetes.client.V1PodTemplateSpec(
            spec=kubernetes.client.V1PodSpec(
                containers=[
                    kubernetes.client.V1Container(name=container, image="python:3.11", command=command)
                ]
            )
        ),
    )


def metadata(name: str, namespace: str) -> kubernetes.client.V1ObjectMeta:
    return kubernetes.client.V1ObjectMeta(name=name, namespace=namespace)


def pytorch_job(name: str, namespace: str, marker: str) -> KubeflowOrgV1PyTorchJob:
    # worker-only: Worker 0 is the master-role pod, and the job succeeds only when the worker's command did
    script = "import torch\nprint('sum', torch.ones(3).sum().item())"
    spec = KubeflowOrgV1PyTorchJobSpec(
        run_policy=KubeflowOrgV1RunPolicy(),
        pytorch_replica_specs={"Worker": replica("pytorch", marker, script)},
    )
    return KubeflowOrgV1PyTorchJob(
        api_version=API_VERSION, kind="PyTorchJob", metadata=metadata(name, namespace), spec=spec
    )


def tf_job(name: str, namespace: str, marker: str) -> KubeflowOrgV1TFJob:
    # worker-only, two workers so the job is distributed and the operator writes TF_CONFIG (a single-replica
    # TFJob gets none); without a Chief, Worker 0 is the master-role pod and its exit decides the job
    script = (
        "import json, os\n"
        "config = json.loads(os.environ['TF_CONFIG'])\n"
        "print('task', config['task']['type'], config['task']['index'], len(config['cluster']['worker']))"
    )
    spec = KubeflowOrgV1TFJobSpec(
        run_policy=KubeflowOrgV1RunPolicy(),
        tf_replica_specs={"Worker": replica("tensorflow", marker, script, replicas=2)},
    )
    return KubeflowOrgV1TFJob(
        api_version=API_VERSION, kind="TFJob", metadata=metadata(name, namespace), spec=spec
    )


def xgboost_job(name: str, namespace: str, marker: str) -> KubeflowOrgV1XGBoostJob:
    # XGBoostJob requires a Master; a Master alone keeps success tied to its command
    script = "import os\nprint('rank', os.environ['RANK'], 'world', os.environ['WORLD_SIZE'])"
    spec = KubeflowOrgV1XGBoostJobSpec(
        run_policy=KubeflowOrgV1RunPolicy(),
        xgb_replica_specs={"Master": replica("xgboost", marker, script)},
    )
    return KubeflowOrgV1XGBoostJob(
        api_version=API_VERSION, kind="XGBoostJob", metadata=metadata(name, namespace), spec=spec
    )


def paddle_job(name: str, namespace: str, marker: str) -> KubeflowOrgV1PaddleJob:
    # PS mode with one Master: only Master pods are master role (a collective job has none, so the SDK's
    # master-pod log would be empty), and the Master's exit decides the job
    script = (
        "import os\nprint('nodes', os.environ['PADDLE_NNODES'], 'server', os.environ['PADDLE_SERVER_NUM'])"
    )
    spec = KubeflowOrgV1PaddleJobSpec(
        run_policy=KubeflowOrgV1RunPolicy(),
        paddle_replica_specs={"Master": replica("paddle", marker, script)},
    )
    return KubeflowOrgV1PaddleJob(
        api_version=API_VERSION, kind="PaddleJob", metadata=metadata(name, namespace), spec=spec
    )


def jax_job(name: str, namespace: str, marker: str) -> KubeflowOrgV1JAXJob:
    # two processes, so the coordinator env names a world of two; worker-0 is the master-role pod
    script = (
        "import os\n"
        "env = os.environ\n"
        "print('process', env['PROCESS_ID'], 'of', env['NUM_PROCESSES'], 'coordinator',\n"
        "      env['COORDINATOR_ADDRESS'].endswith('-worker-0'), env['COORDINATOR_PORT'])"
    )
    spec = KubeflowOrgV1JAXJobSpec(
        run_policy=KubeflowOrgV1RunPolicy(),
        jax_replica_specs={"Worker": replica("jax", marker, script, replicas=2)},
    )
    return KubeflowOrgV1JAXJob(
        api_version=API_VERSION, kind="JAXJob", metadata=metadata(name, namespace), spec=spec
    )


@dataclass(frozen=True)
class Case:
    kind: str
    build: Callable[[str, str, str], Any]
    prefix: str
    #: what the master-role pod prints before the marker
    printed: str
    #: replica type (lower case) and count of the pods
    pods: tuple[str, int]


CASES = [
    pytest.param(Case("PyTorchJob", pytorch_job, "sdk-pt", "sum 3.0", ("worker", 1)), id="pytorchjob"),
    pytest.param(Case("TFJob", tf_job, "sdk-tf", "task worker 0 2", ("worker", 2)), id="tfjob"),
    pytest.param(
        Case("XGBoostJob", xgboost_job, "sdk-xgb", "rank 0 world 1", ("master", 1)), id="xgboostjob"
    ),
    pytest.param(Case("PaddleJob", paddle_job, "sdk-pd", "nodes 1 server 1", ("master", 1)), id="paddlejob"),
    pytest.param(
        Case("JAXJob", jax_job, "sdk-jax", "process 0 of 2 coordinator True 6666", ("worker", 2)), id="jaxjob"
    ),
    # MPIJob: the SDK speaks kubeflow.org/v1 mpijobs, which we do not serve (v2beta1 only, A.9-12)
]


def wait_gone(kube: kubernetes.client.ApiClient, namespace: str, plural: str, name: str) -> None:
    """Return once the job object no longer exists, following a watch."""
    custom = kubernetes.client.CustomObjectsApi(kube)
    selector = f"metadata.name={name}"
    listing = custom.list_namespaced_custom_object(
        "kubeflow.org", "v1", namespace, plural, field_selector=selector
    )
    if not listing["items"]:
        return
    watch = kubernetes.watch.Watch()
    for event in watch.stream(
        custom.list_namespaced_custom_object,
        "kubeflow.org",
        "v1",
        namespace,
        plural,
        field_selector=selector,
        resource_version=listing["metadata"]["resourceVersion"],
        timeout_seconds=60,
    ):
        if event["type"] == "DELETED":
            watch.stop()
            return
    pytest.fail(f"{namespace}/{name} still exists 60s after delete_job")


@pytest.mark.skipif(
    int(kubernetes.__version__.split(".")[0]) >= 36,
    reason="kubeflow-training 1.9.4 requires kubernetes<36: its create_job hands a model object to "
    "CustomObjectsApi, whose pydantic-validated body (kubernetes>=36) accepts only a dict",
)
@pytest.mark.parametrize("case", CASES)
def test_official_sdk_runs_a_job_end_to_end(client, kube, namespace, case):
    name = f"{case.prefix}-{uuid.uuid4().hex[:6]}"
    marker = f"sdk-e2e-done-{uuid.uuid4().hex}"
    kind = case.kind
    plural = constants.JOB_PARAMETERS[kind]["plural"]

    client.create_job(job=case.build(name, namespace, marker), namespace=namespace)

    job = client.wait_for_job_conditions(
        name,
        namespace=namespace,
        job_kind=kind,
        expected_conditions={constants.JOB_CONDITION_SUCCEEDED},
        wait_timeout=WAIT_SECONDS,
        polling_interval=1,
    )
    assert type(job).__name__ == constants.JOB_PARAMETERS[kind]["model"]
    assert job.metadata.name == name

    conditions = client.get_job_conditions(name, namespace=namespace, job_kind=kind)
    by_type = {c.type: c.status for c in conditions}
    assert by_type.get(constants.JOB_CONDITION_CREATED) == "True", conditions
    assert by_type.get(constants.JOB_CONDITION_SUCCEEDED) == "True", conditions
    assert by_type.get(constants.JOB_CONDITION_FAILED) != "True", conditions
    assert client.is_job_succeeded(name, namespace=namespace, job_kind=kind)
    assert client.is_job_created(name, namespace=namespace, job_kind=kind)
    # A.9-5: once Succeeded is true, Running is False
    assert not client.is_job_running(name, namespace=namespace, job_kind=kind)
    # the same answers from the job object the wait returned
    assert client.is_job_succeeded(job=job, job_kind=kind)

    replica_type, count = case.pods
    pod = f"{name}-{replica_type}-0"
    names = client.get_job_pod_names(name, namespace=namespace)
    assert sorted(names) == [f"{name}-{replica_type}-{i}" for i in range(count)]
    assert client.get_job_pod_names(name, namespace=namespace, is_master=True) == [pod]

    logs, _ = client.get_job_logs(name, namespace=namespace, job_kind=kind)
    assert list(logs) == [pod], logs
    assert case.printed in logs[pod], logs[pod]
    assert marker in logs[pod], logs[pod]

    listed = {j.metadata.name: j for j in client.list_jobs(namespace=namespace, job_kind=kind)}
    assert name in listed, sorted(listed)
    assert listed[name].kind == kind
    assert client.is_job_succeeded(job=listed[name], job_kind=kind)

    client.delete_job(name, namespace=namespace, job_kind=kind)
    wait_gone(kube, namespace, plural, name)
    assert name not in {j.metadata.name for j in client.list_jobs(namespace=namespace, job_kind=kind)}
    with pytest.raises(RuntimeError, match=name):
        client.get_job(name, namespace=namespace, job_kind=kind)
