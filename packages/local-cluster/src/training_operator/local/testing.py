"""A local cluster on a background thread, for synchronous tests and tools in other packages.

The official kubernetes client and kubectl block; running the cluster on its own event loop in a thread lets
them talk to it from ordinary test code (`with BackgroundCluster(tmp_path) as cluster: ...`).
"""

import asyncio
import concurrent.futures
import os
import sys
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import yaml

from training_operator.local.cluster import LocalCluster

T = TypeVar("T")


class BackgroundCluster:
    """Starts a `LocalCluster(state_dir, **options)` in a daemon thread; `call()` runs code on its loop."""

    def __init__(self, state_dir: Path | str, **options: Any) -> None:
        self.cluster = LocalCluster(state_dir, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-cluster", daemon=True)

    def __enter__(self) -> LocalCluster:
        self._thread.start()
        self.call(self.cluster.start)
        return self.cluster

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.call(self.cluster.stop, timeout=60)
            self.call(self._drain)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    @staticmethod
    async def _drain() -> None:
        """Let closing transports finish and cancel stragglers, so nothing is left for the loop's close."""
        await asyncio.sleep(0.05)
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await asyncio.sleep(0)

    def call(self, function: Callable[[], Awaitable[T]], *, timeout: float = 30) -> T:
        """Run a coroutine function on the cluster's loop and wait for its result."""

        async def wrapper() -> T:
            return await function()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout)

    def __repr__(self) -> str:
        return f"BackgroundCluster({self.cluster.state_dir!s})"


def exec_kubeconfig(
    cluster: LocalCluster,
    path: Path,
    *,
    user: str = "exec-user",
    ttl: float = 3600.0,
    api_version: str = "client.authentication.k8s.io/v1",
) -> Path:
    """A kubeconfig for `cluster` whose user authenticates through `execplugin`: tokens that expire
    after `ttl` seconds, as an EKS or GKE kubeconfig hands them out."""
    plugin = {
        "apiVersion": api_version,
        "command": sys.executable,
        "args": [
            "-m",
            "training_operator.local.execplugin",
            f"--server={cluster.url}",
            f"--state-dir={cluster.state_dir}",
            f"--user={user}",
            f"--ttl={ttl}",
            f"--api-version={api_version}",
        ],
        "interactiveMode": "Never",
        "installHint": "pip install training-operator-local",
    }
    document = yaml.safe_load(Path(cluster.kubeconfig_path).read_text())
    document["users"] = [{"name": user, "user": {"exec": plugin}}]
    for context in document["contexts"]:
        context["context"]["user"] = user
    path.write_text(yaml.safe_dump(document))
    return path


def service_account(cluster: LocalCluster, root: Path, *, user: str, ttl: float) -> Path:
    """A pod's service-account folder (token, ca.crt, namespace) for `cluster`, with a token of `user` that
    expires after `ttl` seconds; call `rotate_token` as the kubelet would before it does."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "ca.crt").write_bytes(cluster.ca_path.read_bytes())
    (root / "namespace").write_text("default")
    rotate_token(cluster, root, user=user, ttl=ttl)
    return root


def rotate_token(cluster: LocalCluster, root: Path, *, user: str, ttl: float) -> str:
    """Write a fresh token to `root/token` the way the kubelet does (a new file swapped in at once)."""
    assert cluster.server is not None
    token, _ = cluster.server.authn.issue(user, ttl)
    fresh = root / ".token.new"
    fresh.write_text(token)
    os.replace(fresh, root / "token")
    return token
