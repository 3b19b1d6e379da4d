"""Fixtures: a fake API server on loopback, a kubeconfig pointing at it, and clients built from that file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fakeapi import FakeApiServer

from training_operator.unified.sdk import TrainingClient


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    server = FakeApiServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(api: FakeApiServer, tmp_path: Path) -> Path:
    return api.write_kubeconfig(tmp_path / "kubeconfig", namespace="team")


@pytest.fixture
def client(kubeconfig: Path) -> TrainingClient:
    return TrainingClient(config_file=str(kubeconfig))


def a_pytorch_job(name: str = "mnist", namespace: str | None = None, workers: int = 1) -> dict[str, Any]:
    template = {"spec": {"containers": [{"name": "pytorch", "image": "pytorch:2"}]}}
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": metadata,
        "spec": {
            "runPolicy": {},
            "pytorchReplicaSpecs": {
                "Master": {"replicas": 1, "template": template},
                "Worker": {"replicas": workers, "template": template},
            },
        },
    }
