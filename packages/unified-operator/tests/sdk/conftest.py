"""Fixtures: one local cluster per test module (every generated CRD installed, pods run as local processes),
a fresh namespace per test with a kubeconfig defaulting to it, and clients built from that file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from localapi import World, install_crds, new_namespace

from training_operator.local.testing import BackgroundCluster
from training_operator.unified.sdk import TrainingClient
from training_operator.unified.testing import operator_process


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    state = tmp_path_factory.mktemp("cluster")
    # loopback: pods are plain processes (no root needed); a short back-off keeps restarts quick
    with BackgroundCluster(state, network="loopback", backoff_base=0.2, backoff_cap=1.0) as running:
        yield running


@pytest.fixture(scope="module")
def kube(cluster: Any) -> Iterator[kubernetes.client.ApiClient]:
    client = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    install_crds(client)
    yield client
    client.close()


@pytest.fixture
def world(cluster: Any, kube: kubernetes.client.ApiClient, tmp_path: Path) -> Iterator[World]:
    found = World(cluster, kube, new_namespace(kube), tmp_path)
    found.reset_requests()
    yield found
    found.clear_faults()


@pytest.fixture
def kubeconfig(world: World) -> Path:
    return world.kubeconfig


@pytest.fixture
def client(kubeconfig: Path) -> Iterator[TrainingClient]:
    found = TrainingClient(config_file=str(kubeconfig))
    yield found
    found.close()


@pytest.fixture(scope="module")
def operator(
    cluster: Any, kube: kubernetes.client.ApiClient, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """`training-operator run` against the module's cluster (PyTorchJob only), as a child process."""
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    with operator_process(cluster.kubeconfig_path, log_path, "--enable-scheme", "pytorchjob"):
        yield log_path
