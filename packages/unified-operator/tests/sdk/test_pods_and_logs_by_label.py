"""get_job_pods, get_job_pod_names and get_job_logs, sync client, on the local cluster's real pods.

Covers: Kubeflow's selector (job-name, role, lower-cased type, index) as the API server applies it, MPIJob's
launcher role, V1Pod results, the kind's main container (not a sidecar), pending pods skipped, followed logs
streaming from running processes across pods until every stream ends, and verbose events keyed
`<kind>/<name>` fetched with a server-side field selector.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from localapi import World

from training_operator.core import labels
from training_operator.unified.sdk import TrainingClient


@pytest.fixture
def pods(world: World) -> World:
    world.job_pods()
    world.job_pods(job="other")
    world.reset_requests()
    return world


@pytest.mark.parametrize(
    ("filters", "names"),
    [
        pytest.param({}, ["mnist-master-0", "mnist-worker-0", "mnist-worker-1"], id="all"),
        pytest.param({"is_master": True}, ["mnist-master-0"], id="master"),
        pytest.param({"replica_type": "Worker"}, ["mnist-worker-0", "mnist-worker-1"], id="type-any-case"),
        pytest.param({"replica_type": "worker", "replica_index": 1}, ["mnist-worker-1"], id="type-and-index"),
        pytest.param(
            {"is_master": True, "replica_type": "Master", "replica_index": 0},
            ["mnist-master-0"],
            id="every-term",
        ),
        pytest.param({"is_master": True, "replica_type": "worker"}, [], id="contradicting"),
    ],
)
def test_pod_names_follow_the_label_filters(client: TrainingClient, pods: World, filters, names):
    assert sorted(client.get_job_pod_names("mnist", **filters)) == names
    assert pods.requests() == {"list pods": 1}  # one server-side selected list, no client-side filtering


def test_mpijob_master_means_the_launcher(client: TrainingClient, world: World):
    world.add_pod("pi-launcher-x", {labels.JOB_NAME: "pi", labels.JOB_ROLE: "launcher"}, containers=("mpi",))
    world.add_pod("pi-worker-0", {labels.JOB_NAME: "pi", labels.JOB_ROLE: "worker"}, containers=("mpi",))

    assert client.get_job_pod_names("pi", job_kind="MPIJob", is_master=True) == ["pi-launcher-x"]
    assert client.get_job_pod_names("pi", job_kind="MPIJob", replica_type="Worker") == ["pi-worker-0"]


def test_pods_are_kubernetes_client_objects(client: TrainingClient, pods: World):
    found = client.get_job_pods("mnist", is_master=True)

    assert found[0].metadata.name == "mnist-master-0"
    assert found[0].status.phase == "Succeeded"
    assert client.get_job_pods("nobody") == []


def test_logs_read_the_main_container_of_started_pods(client: TrainingClient, world: World):
    world.job_pods(pending_worker=True)

    found, events = client.get_job_logs("mnist", is_master=False)

    assert found == {"mnist-master-0": "master 0 says hi\n", "mnist-worker-0": "worker 0 says hi\n"}
    assert events == {}
    assert client.get_job_logs("mnist", container="sidecar")[0] == {"mnist-master-0": "noise\n"}
    assert client.get_job_logs("mnist")[0] == {"mnist-master-0": "master 0 says hi\n"}  # master by default


def running_pods(world: World, tmp_path: Path) -> Path:
    """Three pods that print a line, then wait until `release` exists and print `done <pod>`."""
    release = tmp_path / "release"
    for replica_type, index in (("master", 0), ("worker", 0), ("worker", 1)):
        name = f"mnist-{replica_type}-{index}"
        pod_labels = {
            labels.JOB_NAME: "mnist",
            labels.REPLICA_TYPE: replica_type,
            labels.REPLICA_INDEX: str(index),
        }
        script = f"echo {name} started; until [ -e {release} ]; do sleep 0.05; done; echo done {name}"
        world.add_pod(name, pod_labels, script=script)
    for name in ("mnist-master-0", "mnist-worker-0", "mnist-worker-1"):
        world.wait_pod(name, lambda pod: pod.status.phase == "Running")
    return release


def test_follow_streams_every_pod_until_all_end(client: TrainingClient, world: World, tmp_path: Path):
    release = running_pods(world, tmp_path)
    seen: list[tuple[str, str]] = []

    def on_line(pod: str, line: str) -> None:
        seen.append((pod, line))
        if len(seen) == 3:  # every stream is open and has delivered its first line: let the pods finish
            release.touch()

    found, _ = client.get_job_logs("mnist", is_master=False, follow=True, on_line=on_line)

    assert found["mnist-worker-1"] == "mnist-worker-1 started\ndone mnist-worker-1"
    assert len(seen) == 6
    assert sorted(line for _, line in seen[3:]) == [f"done {p}" for p in sorted(found)]


def test_follow_prints_like_kubeflow_by_default(client: TrainingClient, world: World, capsys):
    world.job_pods()

    client.get_job_logs("mnist", follow=True)

    assert capsys.readouterr().out == "[Pod mnist-master-0]: master 0 says hi\n"


def test_verbose_adds_the_job_and_pod_events(client: TrainingClient, world: World):
    world.job_pods()
    world.add_event("PyTorchJob", "mnist", "Created pod: mnist-master-0")
    world.add_event("Pod", "mnist-master-0", "Started container pytorch")
    world.add_event("PyTorchJob", "someone-else", "not ours")

    _, events = client.get_job_logs("mnist", verbose=True)

    assert events["pytorchjob/mnist"] == ["2024-01-01 00:00:00 Created pod: mnist-master-0"]
    assert "2024-01-01 00:00:00 Started container pytorch" in events["pod/mnist-master-0"]
    assert "pytorchjob/someone-else" not in events
    assert [e["message"] for e in client.get_job_events("mnist")] == ["Created pod: mnist-master-0"]
