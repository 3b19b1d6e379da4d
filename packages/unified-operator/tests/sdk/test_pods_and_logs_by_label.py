"""get_job_pods, get_job_pod_names and get_job_logs, sync client.

Covers: Kubeflow's selector (job-name, role, lower-cased type, index), MPIJob's launcher role, V1Pod results,
the kind's main container, pending pods skipped, followed logs streaming across pods until every stream
ends, and verbose events keyed `<kind>/<name>`.
"""

from __future__ import annotations

import pytest
from fakeapi import FakeApiServer

from training_operator.core import labels
from training_operator.unified.sdk import TrainingClient


def job_pods(api: FakeApiServer, job: str = "mnist", phase: str = "Running") -> None:
    for replica_type, index, role in (("master", 0, "master"), ("worker", 0, None), ("worker", 1, None)):
        pod_labels = {
            labels.JOB_NAME: job,
            labels.REPLICA_TYPE: replica_type,
            labels.REPLICA_INDEX: str(index),
        }
        if role:
            pod_labels[labels.JOB_ROLE] = role
        api.add_pod(
            "team",
            f"{job}-{replica_type}-{index}",
            pod_labels,
            containers=("pytorch", "sidecar"),
            log=(f"{replica_type} {index} says hi",),
            phase=phase if index == 1 else "Running",
        )


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        pytest.param({}, ["mnist-master-0", "mnist-worker-0", "mnist-worker-1"], id="all"),
        pytest.param({"is_master": True}, ["mnist-master-0"], id="master"),
        pytest.param({"replica_type": "Worker"}, ["mnist-worker-0", "mnist-worker-1"], id="type-any-case"),
        pytest.param({"replica_type": "worker", "replica_index": 1}, ["mnist-worker-1"], id="type-and-index"),
    ],
)
def test_pod_names_follow_the_label_filters(client: TrainingClient, api: FakeApiServer, filters, names):
    job_pods(api)
    job_pods(api, job="other")

    assert client.get_job_pod_names("mnist", **filters) == names


def test_selector_is_kubeflows(client: TrainingClient, api: FakeApiServer):
    client.get_job_pods("mnist", is_master=True, replica_type="Master", replica_index=0)

    selector = api.requests("GET", "/pods")[0].query["labelSelector"]
    assert selector == (
        "training.kubeflow.org/job-name=mnist,training.kubeflow.org/job-role=master,"
        "training.kubeflow.org/replica-type=master,training.kubeflow.org/replica-index=0"
    )


def test_mpijob_master_means_the_launcher(client: TrainingClient, api: FakeApiServer):
    api.add_pod(
        "team", "pi-launcher-x", {labels.JOB_NAME: "pi", labels.JOB_ROLE: "launcher"}, containers=("mpi",)
    )
    api.add_pod(
        "team", "pi-worker-0", {labels.JOB_NAME: "pi", labels.JOB_ROLE: "worker"}, containers=("mpi",)
    )

    assert client.get_job_pod_names("pi", job_kind="MPIJob", is_master=True) == ["pi-launcher-x"]
    assert client.get_job_pod_names("pi", job_kind="MPIJob", replica_type="Worker") == ["pi-worker-0"]


def test_pods_are_kubernetes_client_objects(client: TrainingClient, api: FakeApiServer):
    job_pods(api)

    pods = client.get_job_pods("mnist", is_master=True)

    assert pods[0].metadata.name == "mnist-master-0"
    assert pods[0].status.phase == "Running"


def test_logs_read_the_main_container_of_started_pods(client: TrainingClient, api: FakeApiServer):
    job_pods(api, phase="Pending")

    found, events = client.get_job_logs("mnist", is_master=False)

    assert found == {"mnist-master-0": "master 0 says hi\n", "mnist-worker-0": "worker 0 says hi\n"}
    assert events == {}
    assert {r.query["container"] for r in api.requests("GET", "/log")} == {"pytorch"}


def test_follow_streams_every_pod_until_all_end(client: TrainingClient, api: FakeApiServer):
    job_pods(api)
    for pod in ("mnist-master-0", "mnist-worker-0", "mnist-worker-1"):
        api.keep_log_open("team", pod)
    seen: list[tuple[str, str]] = []

    def on_line(pod: str, line: str) -> None:
        seen.append((pod, line))
        if not line.startswith("done"):
            api.append_log("team", pod, "pytorch", f"done {pod}", close=True)

    found, _ = client.get_job_logs("mnist", is_master=False, follow=True, on_line=on_line)

    assert found["mnist-worker-1"] == "worker 1 says hi\ndone mnist-worker-1"
    assert len(seen) == 6
    assert all(r.query.get("follow", "").lower() == "true" for r in api.requests("GET", "/log"))


def test_follow_prints_like_kubeflow_by_default(client: TrainingClient, api: FakeApiServer, capsys):
    job_pods(api)

    client.get_job_logs("mnist", follow=True)

    assert capsys.readouterr().out == "[Pod mnist-master-0]: master 0 says hi\n"


def test_verbose_adds_the_job_and_pod_events(client: TrainingClient, api: FakeApiServer):
    job_pods(api)
    api.add_event("team", "PyTorchJob", "mnist", "Created pod: mnist-master-0")
    api.add_event("team", "Pod", "mnist-master-0", "Started container pytorch")
    api.add_event("team", "PyTorchJob", "someone-else", "not ours")

    _, events = client.get_job_logs("mnist", verbose=True)

    assert events == {
        "pytorchjob/mnist": ["2024-01-01 00:00:00 Created pod: mnist-master-0"],
        "pod/mnist-master-0": ["2024-01-01 00:00:00 Started container pytorch"],
    }
