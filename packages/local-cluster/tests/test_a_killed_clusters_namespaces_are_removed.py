"""A cluster killed without its goodbye leaves its network namespaces behind; the next cluster to start on the
machine, whatever its state dir, removes them, and never touches a live cluster's or ones it cannot judge
(root only; skipped otherwise)."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import kubernetes
import pytest

import training_operator.local as local
from training_operator.local import BackgroundCluster
from training_operator.local.kubelet import network

NETNS = Path("/run/netns")

# The pod ends once the cluster process that started it is gone, as a pod goes with its node.
ORPHANED_WORKLOAD = textwrap.dedent("""
    import os, time
    parent = os.getppid()
    for _ in range(600):
        if os.getppid() != parent: break
        time.sleep(0.1)
""")


@pytest.fixture(autouse=True)
def _root_only() -> None:
    if os.geteuid() != 0 or network.missing_tools():
        pytest.skip("per-pod network namespaces need root, iproute2 and util-linux")


def namespaces_of(state: Path) -> list[str]:
    prefix = f"tol{network.cluster_id(state)}-"
    return sorted(p.name for p in NETNS.iterdir() if p.name.startswith(prefix)) if NETNS.exists() else []


def start_daemon(state: Path) -> int:
    local.ensure_running(state, extra_args=("--network", "namespaces", "--log-level", "WARNING"))
    running = local.is_running(state)
    assert running is not None
    return running.pid


def run_a_pod(state: Path, wait_for: Callable[..., Any]) -> None:
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(state / "kubeconfig"), client_configuration=config)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "busy"},
        "spec": {
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {"name": "main", "image": "local", "command": [sys.executable, "-c", ORPHANED_WORKLOAD]}
            ],
        },
    }
    with kubernetes.client.ApiClient(config) as client:
        pods = kubernetes.client.CoreV1Api(client)
        pods.create_namespaced_pod("default", pod)
        wait_for(
            lambda: pods.read_namespaced_pod("busy", "default").status.phase == "Running",
            timeout=60,
            message="the pod to run",
        )


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def test_the_next_cluster_removes_a_killed_clusters_namespaces_and_keeps_a_live_ones(tmp_path, wait):
    killed, live, unmarked = tmp_path / "killed", tmp_path / "live", "tol0f0f0f-node"
    try:
        killed_pid = start_daemon(killed)
        run_a_pod(killed, wait)
        start_daemon(live)
        left = namespaces_of(killed)
        assert left == [f"tol{network.cluster_id(killed)}-node", f"tol{network.cluster_id(killed)}-p1"]
        subprocess.run(["ip", "netns", "add", unmarked], check=True)  # as an older version leaves one

        os.kill(killed_pid, signal.SIGKILL)
        wait(lambda: gone(killed_pid), message="the killed cluster to exit")
        assert namespaces_of(killed) == left  # nothing could remove them: this is the leak

        following = tmp_path / "next"
        with BackgroundCluster(following, network="namespaces", backoff_base=0.2, backoff_cap=1.0):
            # its kubelet sets up the network after the API serves; its node namespace comes after the sweep
            wait(lambda: namespaces_of(following), message="the next cluster's node namespace")
            assert namespaces_of(killed) == []
            assert namespaces_of(live) == [f"tol{network.cluster_id(live)}-node"]
            assert (NETNS / unmarked).exists()
    finally:
        local.stop(live)
        local.stop(killed)
        asyncio_teardown(killed)
        subprocess.run(["ip", "netns", "del", unmarked], check=False, capture_output=True)
    assert namespaces_of(live) == []


def marked_node(name: str, mark: str) -> None:
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "-n", name, "link", "add", "br0", "type", "bridge"], check=True)
    subprocess.run(["ip", "-n", name, "link", "set", "br0", "alias", mark], check=True)


def test_a_reused_pid_is_not_taken_for_the_owner_and_another_pid_namespace_is_left_alone():
    mine = network.owner_mark()  # "training-operator owner=PID:START in pid:[N]"
    head, pidns = mine.split(" in ")
    pid, started = head.split("owner=")[1].split(":")
    reused = f"training-operator owner={pid}:{int(started) + 1} in {pidns}"  # same pid, another process
    elsewhere = "training-operator owner=1:1 in pid:[1]"  # pid 1 of another container
    cases = {"tol0a0a01-node": mine, "tol0a0a02-node": reused, "tol0a0a03-node": elsewhere}
    try:
        for name, mark in cases.items():
            marked_node(name, mark)
        subprocess.run(["ip", "netns", "add", "tol0a0a04-p3"], check=True)  # a pod's, its node's gone

        swept = asyncio.run(network.sweep_orphans("tol0a0a0f"))

        assert swept == ["tol0a0a02", "tol0a0a04"]
        assert sorted(p.name for p in NETNS.glob("tol0a0a0*")) == ["tol0a0a01-node", "tol0a0a03-node"]
    finally:
        for name in [*cases, "tol0a0a04-p3"]:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def asyncio_teardown(state: Path) -> None:
    asyncio.run(network.NamespaceNetwork(network.cluster_id(state)).teardown())
