"""Fixtures: a local cluster on a background thread, the official client and a raw HTTP client for it."""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import requests

from training_operator.local import BackgroundCluster, LocalCluster
from training_operator.local.kubelet.network import missing_tools

FAST = {"backoff_base": 0.2, "backoff_cap": 1.0, "bookmark_interval": 0.3}


class Api:
    """Raw HTTP against the cluster: (status code, decoded body) for every verb."""

    def __init__(self, cluster: LocalCluster) -> None:
        self.url = cluster.url
        self.session = requests.Session()
        # Passed per request: REQUESTS_CA_BUNDLE in the environment would override a session default.
        self.ca = str(cluster.ca_path)
        self.session.headers["Authorization"] = f"Bearer {cluster.token}"

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        **params: Any,
    ) -> tuple[int, Any]:
        data = None if body is None else (body if isinstance(body, str | bytes) else json.dumps(body))
        response = self.session.request(
            method,
            self.url + path,
            data=data,
            params=params,
            headers={"Content-Type": content_type},
            timeout=30,
            verify=self.ca,
        )
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    def get(self, path: str, **params: Any) -> tuple[int, Any]:
        return self.request("GET", path, **params)

    def post(self, path: str, body: Any, **params: Any) -> tuple[int, Any]:
        return self.request("POST", path, body, **params)

    def put(self, path: str, body: Any, **params: Any) -> tuple[int, Any]:
        return self.request("PUT", path, body, **params)

    def patch(
        self, path: str, body: Any, content_type: str = "application/merge-patch+json", **params: Any
    ) -> tuple[int, Any]:
        return self.request("PATCH", path, body, content_type=content_type, **params)

    def delete(self, path: str, body: Any = None, **params: Any) -> tuple[int, Any]:
        return self.request("DELETE", path, body, **params)

    def watch(
        self,
        path: str,
        *,
        until: Callable[[list[dict[str, Any]]], bool] | None = None,
        timeout: float = 10,
        **params: Any,
    ) -> list[dict[str, Any]]:
        """Events of one watch request, stopping when `until(events)` holds or the stream ends."""
        params = {"watch": "true", **params}
        events: list[dict[str, Any]] = []
        with self.session.get(
            self.url + path, params=params, stream=True, timeout=timeout, verify=self.ca
        ) as response:
            assert response.status_code == 200, response.text
            for line in response.iter_lines():
                if line:
                    events.append(json.loads(line))
                    if until is not None and until(events):
                        break
        return events


def wait_for(condition: Callable[[], Any], *, timeout: float = 20, message: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {message}; last value: {last!r}")


def can_use_namespaces() -> str:
    """Empty when per-pod namespaces can be used here, else why not."""
    if os.geteuid() != 0:
        return "needs root for per-pod network namespaces"
    missing = missing_tools()
    return f"missing {', '.join(missing)}" if missing else ""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    with BackgroundCluster(tmp_path / "state", network="loopback", **FAST) as running:
        yield running


@pytest.fixture
def ns_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    reason = can_use_namespaces()
    if reason:
        pytest.skip(reason)
    with BackgroundCluster(tmp_path / "state", network="namespaces", **FAST) as running:
        yield running


@pytest.fixture
def api_for() -> Iterator[Callable[[LocalCluster], Api]]:
    made: list[Api] = []

    def make(cluster: LocalCluster) -> Api:
        made.append(Api(cluster))
        return made[-1]

    yield make
    for client in made:
        client.session.close()


@pytest.fixture
def api(cluster: LocalCluster) -> Iterator[Api]:
    client = Api(cluster)
    yield client
    client.session.close()


def client_for(cluster: LocalCluster) -> kubernetes.client.ApiClient:
    config = kubernetes.client.Configuration()
    kubernetes.config.load_kube_config(config_file=str(cluster.kubeconfig_path), client_configuration=config)
    return kubernetes.client.ApiClient(config)


@pytest.fixture
def kube(cluster: LocalCluster) -> Iterator[kubernetes.client.ApiClient]:
    with client_for(cluster) as client:
        yield client


def a_pod(name: str, command: list[str] | None = None, **spec: Any) -> dict[str, Any]:
    """A minimal pod running `command` (a shell no-op by default)."""
    container: dict[str, Any] = {"name": "main", "image": "local"}
    if command is not None:
        container["command"] = command
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container], **spec},
    }


@pytest.fixture
def wait() -> Callable[..., Any]:
    return wait_for


@pytest.fixture
def make_pod() -> Callable[..., dict[str, Any]]:
    return a_pod


@pytest.fixture
def kubectl(cluster: LocalCluster) -> Callable[..., subprocess.CompletedProcess[str]]:
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.skip("kubectl is not installed (CI installs it from a package)")

    def run(
        *args: str, check: bool = True, input: str | None = None, timeout: float = 30
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig_path)}
        result = subprocess.run(
            [binary, *args],
            env=env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result

    return run
