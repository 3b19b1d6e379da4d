"""The integration world: an in-process local cluster per test (no kubelet unless asked: pods stay Pending,
which is a stable state to reason about), the generated CRDs, and the operator as a real subprocess
(`training-operator run`) that tests can SIGTERM, SIGKILL and restart.

Everything is awaited on conditions with deadlines (`eventually`), never on fixed sleeps.
"""

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from training_operator.core import access
from training_operator.core.kube.client import ApiClient
from training_operator.local.cluster import LocalCluster
from training_operator.unified import localcli
from training_operator.unified.testing import free_port

TFJOBS = "/apis/kubeflow.org/v1/namespaces/default/tfjobs"
PODS = "/api/v1/namespaces/default/pods"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
STARTUP_SECONDS = 60.0


async def eventually(check: Callable[[], Awaitable[Any]], *, within: float = 20.0, what: str = "") -> Any:
    """Poll `check` until it returns something truthy; fail with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or check}")
        await asyncio.sleep(0.05)


class Operator:
    """`training-operator run` as a child process, with its metrics endpoint for readiness."""

    #: leader election with short timings, so a takeover happens within a test's patience
    LEADER_ELECTION = (
        "--disable-webhooks",
        "--leader-elect",
        "--leader-election-lease-duration=2",
        "--leader-election-renew-deadline=1.5",
        "--leader-election-retry-period=0.2",
    )

    def __init__(self, kubeconfig: Path | None, log: Path) -> None:
        self.kubeconfig = kubeconfig  # None: find the cluster as in a pod (`wrapper` provides the account)
        self.log = log
        self.args: list[str] = ["--disable-webhooks"]
        #: the kinds this operator serves (`--enable-scheme`)
        self.schemes: tuple[str, ...] = ("tfjob",)
        self.process: asyncio.subprocess.Process | None = None
        self.metrics_port = 0
        #: extra environment, and a command the operator runs under (a mount namespace, say)
        self.env: dict[str, str] = {}
        self.wrapper: list[str] = []

    async def start(self, *, leader: bool = True) -> None:
        """Start the process; wait until it reconciles (or, for a follower, until it serves metrics)."""
        self.metrics_port = free_port()
        self.health_port = free_port()
        command = [
            *self.wrapper,
            str(Path(sys.executable).parent / "training-operator"),
            "run",
            *(["--kubeconfig", str(self.kubeconfig)] if self.kubeconfig else []),
            *(f"--enable-scheme={scheme}" for scheme in self.schemes),
            *self.args,
            f"--metrics-bind-address=127.0.0.1:{self.metrics_port}",
            f"--health-probe-bind-address=127.0.0.1:{self.health_port}",
        ]
        with open(self.log, "ab") as out:  # noqa: ASYNC230 - opening a log file is instant
            self.process = await asyncio.create_subprocess_exec(
                *command,
                stdout=out,
                stderr=out,
                env={**os.environ, "PYTHONUNBUFFERED": "1", "MY_POD_NAMESPACE": "default", **self.env},
            )
        # a fresh interpreter imports kopf, aiohttp and pydantic before anything answers: on a loaded machine
        # (a 2-core box shared by several suites) that alone has taken over 20 s
        if leader:
            await eventually(
                lambda: self.sample("leader_election_master_status"),
                what="operator reconciling",
                within=STARTUP_SECONDS,
            )
        else:
            await eventually(self.metrics, what="operator serving metrics", within=STARTUP_SECONDS)

    async def ready(self) -> bool:
        """`/readyz` answers 200."""
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.health_port}/readyz") as response,
            ):
                return response.status == 200
        except aiohttp.ClientError:
            return False

    async def metrics(self) -> str:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"http://127.0.0.1:{self.metrics_port}/metrics") as response,
            ):
                return await response.text()
        except aiohttp.ClientError:
            return ""

    async def sample(self, name: str, **labels: str) -> float:
        """The value of one sample (0 when absent)."""
        wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in (await self.metrics()).splitlines():
            if line.startswith(name + ("{" if labels or "{" in line else " ")):
                series, _, value = line.rpartition(" ")
                if all(part in series for part in wanted.split(",")):
                    return float(value)
        return 0.0

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 20)
        self.process = None
        return code


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[LocalCluster]:
    async with LocalCluster(tmp_path / "cluster", kubelet=False) as running:
        yield running


@pytest.fixture
async def api(cluster: LocalCluster) -> AsyncIterator[ApiClient]:
    async with ApiClient(access.load(str(cluster.kubeconfig_path)), qps=0) as client:
        await localcli.apply_crds(client)
        yield client


@pytest.fixture
async def operator(cluster: LocalCluster, api: ApiClient, tmp_path: Path) -> AsyncIterator[Operator]:
    running = Operator(Path(cluster.kubeconfig_path), tmp_path / "operator.log")
    yield running
    if running.process is not None:
        await running.stop(signal.SIGKILL)


def tfjob(name: str = "job", *, workers: int = 2, command: list[str] | None = None) -> dict[str, Any]:
    container = {"name": "tensorflow", "image": "local", "command": command or ["true"]}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "tfReplicaSpecs": {
                "Worker": {
                    "replicas": workers,
                    "restartPolicy": "Never",
                    "template": {"spec": {"containers": [container]}},
                }
            }
        },
    }


async def writes(api: ApiClient) -> dict[str, int]:
    """Write requests the cluster has served since the last reset, by `verb resource` (leases excluded)."""
    counts = (await api.request("GET", "/debug/requests"))["requests"]
    return {k: n for k, n in counts.items() if k.split()[0] in WRITE_VERBS and "leases" not in k}


async def pods(api: ApiClient) -> dict[str, str]:
    """Pod name → uid."""
    listing = await api.request("GET", PODS)
    return {p["metadata"]["name"]: p["metadata"]["uid"] for p in listing["items"]}


async def job(api: ApiClient, name: str = "job") -> dict[str, Any]:
    return await api.request("GET", f"{TFJOBS}/{name}")


class Kit:
    """The helpers above, handed to tests as a fixture (test modules cannot import conftest)."""

    eventually = staticmethod(eventually)
    free_port = staticmethod(free_port)
    tfjob = staticmethod(tfjob)
    writes = staticmethod(writes)
    pods = staticmethod(pods)
    job = staticmethod(job)
    TFJOBS = TFJOBS
    PODS = PODS
    Operator = Operator


@pytest.fixture
async def second_operator(cluster: LocalCluster, api: ApiClient, tmp_path: Path) -> AsyncIterator[Operator]:
    running = Operator(Path(cluster.kubeconfig_path), tmp_path / "operator-2.log")
    yield running
    if running.process is not None:
        await running.stop(signal.SIGKILL)


@pytest.fixture
def kit() -> type[Kit]:
    return Kit
