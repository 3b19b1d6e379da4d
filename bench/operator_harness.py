"""What the operator benchmarks share: a kubelet-less local cluster in its own process, a counting API client
and the pod-lifecycle simulator (the operator process itself is `training_operator.unified.testing`'s).

The cluster (`python bench/operator_harness.py serve STATE_DIR`) runs the API server and the built-in
controllers (scheduler, batch Job controller, garbage collector) but no kubelet, so no pod ever runs: the
simulator here moves pods through Running and Succeeded by patching `pods/<name>/status`, as a kubelet would.
The server's `/debug/requests` counters are per verb and resource only (no user agent), so the operator's
requests are the server's counts minus this process's own, which `Api` counts client-side the same way.
"""

import asyncio
import collections
import contextlib
import datetime
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from training_operator.unified.testing import stop

REPO = Path(__file__).resolve().parent.parent
CRDS = REPO / "manifests" / "base" / "crds"
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
READ_VERBS = ("get", "list")
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
Obj = dict[str, Any]


# ---------------------------------------------------------------------------------------------- processes


def serve(state_dir: str) -> None:
    """Run a kubelet-less LocalCluster until SIGTERM; write url/token/ca to STATE_DIR/bench.json."""
    from training_operator.local.cluster import LocalCluster

    async def main() -> None:
        cluster = LocalCluster(state_dir, kubelet=False, network="loopback")
        await cluster.start()
        info = {"url": cluster.url, "token": cluster.token, "ca": str(cluster.ca_path), "pid": os.getpid()}
        info["kubeconfig"] = str(cluster.kubeconfig_path)
        await asyncio.to_thread(Path(state_dir, "bench.json").write_text, json.dumps(info))
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await cluster.stop()

    asyncio.run(main())


@contextlib.contextmanager
def cluster_process(state_dir: Path) -> Iterator[Obj]:
    """Start `serve` in a child process; yield its bench.json."""
    state_dir.mkdir(parents=True, exist_ok=True)
    info_file = state_dir / "bench.json"
    with open(state_dir / "cluster.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, __file__, "serve", str(state_dir)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"cluster did not start; see {state_dir / 'cluster.log'}")
            time.sleep(0.1)
        yield json.loads(info_file.read_text())
    finally:
        stop(process)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> Obj:
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": sys.platform,
    }


# ---------------------------------------------------------------------------------------------- client


def resource_of(path: str) -> str:
    """The server's counter label for a path: `plural` or `plural/sub`."""
    parts = [p for p in path.split("?")[0].split("/") if p]
    parts = parts[2:] if parts[0] == "api" else parts[3:]
    if parts and parts[0] == "namespaces" and len(parts) >= 3:
        parts = parts[2:]
    return f"{parts[0]}/{parts[2]}" if len(parts) >= 3 else parts[0]


class Api:
    """aiohttp against the cluster, counting its own requests as the server does."""

    def __init__(self, info: Obj, concurrency: int = 64) -> None:
        self.url = info["url"]
        context = ssl.create_default_context(cafile=info["ca"])
        connector = aiohttp.TCPConnector(ssl=context, limit=concurrency)
        self.session = aiohttp.ClientSession(
            connector=connector, headers={"Authorization": f"Bearer {info['token']}"}
        )
        self.mine: collections.Counter[str] = collections.Counter()

    async def close(self) -> None:
        await self.session.close()

    def _count(self, method: str, path: str, params: Obj | None) -> None:
        resource = resource_of(path)
        if method == "GET":
            collection = "list" if self._is_collection(path) else "get"
            verb = "watch" if params and params.get("watch") else collection
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
        self.mine[f"{verb} {resource}"] += 1

    @staticmethod
    def _is_collection(path: str) -> bool:
        parts = [p for p in path.split("/") if p]
        parts = parts[2:] if parts[0] == "api" else parts[3:]
        if parts and parts[0] == "namespaces" and len(parts) >= 3:
            parts = parts[2:]
        return len(parts) == 1

    async def call(
        self, method: str, path: str, body: Obj | None = None, *, params: Obj | None = None, ctype: str = ""
    ) -> Obj:
        self._count(method, path, params)
        headers = {"Content-Type": ctype} if ctype else {}
        data = json.dumps(body) if body is not None else None
        if data is not None and not ctype:
            headers["Content-Type"] = "application/json"
        request = self.session.request(method, self.url + path, data=data, params=params, headers=headers)
        async with request as r:
            payload = await r.json(content_type=None)
            if r.status >= 400:
                raise RuntimeError(f"{method} {path}: {r.status} {payload}")
            return payload  # type: ignore[no-any-return]

    async def server_counts(self) -> collections.Counter[str]:
        async with self.session.get(self.url + "/debug/requests") as r:
            return collections.Counter((await r.json())["requests"])

    async def reset_counts(self) -> None:
        async with self.session.delete(self.url + "/debug/requests") as r:
            r.raise_for_status()
        self.mine.clear()

    async def operator_counts(self) -> collections.Counter[str]:
        """Server counts since the last reset minus ours (the read of /debug/requests is not counted)."""
        total = await self.server_counts()
        total.subtract(self.mine)
        return +total

    async def install_crds(self) -> None:
        for path in sorted(CRDS.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    with contextlib.suppress(RuntimeError):
                        await self.call("POST", CRD_PATH, doc)
        await asyncio.sleep(0.5)


async def install_crds(info: Obj) -> None:
    """The generated CRDs, installed once into a fresh cluster."""
    api = Api(info)
    try:
        await api.install_crds()
    finally:
        await api.close()


# ---------------------------------------------------------------------------------------------- simulator


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _container_names(pod: Obj) -> list[str]:
    return [c["name"] for c in pod["spec"].get("containers", [])]


def running_status(pod: Obj) -> Obj:
    stamp = now()
    return {
        "status": {
            "phase": "Running",
            "startTime": stamp,
            "podIP": "127.0.0.1",
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": stamp}],
            "containerStatuses": [
                {
                    "name": name,
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "image": "local",
                    "imageID": "",
                    "state": {"running": {"startedAt": stamp}},
                }
                for name in _container_names(pod)
            ],
        }
    }


def succeeded_status(pod: Obj) -> Obj:
    stamp = now()
    return {
        "status": {
            "phase": "Succeeded",
            "conditions": [{"type": "Ready", "status": "False", "lastTransitionTime": stamp}],
            "containerStatuses": [
                {
                    "name": name,
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "image": "local",
                    "imageID": "",
                    "state": {
                        "terminated": {
                            "exitCode": 0,
                            "reason": "Completed",
                            "startedAt": stamp,
                            "finishedAt": stamp,
                        }
                    },
                }
                for name in _container_names(pod)
            ],
        }
    }


class Simulator:
    """Plays the kubelet for one namespace: patches pods' status through the API."""

    def __init__(self, api: Api, namespace: str) -> None:
        self.api = api
        self.ns = namespace

    async def pods(self, selector: str) -> list[Obj]:
        body = await self.api.call(
            "GET", f"/api/v1/namespaces/{self.ns}/pods", params={"labelSelector": selector}
        )
        return list(body.get("items") or [])

    async def set_phase(self, pods: list[Obj], phase: str, concurrency: int = 32) -> None:
        gate = asyncio.Semaphore(concurrency)

        async def one(pod: Obj) -> None:
            patch = running_status(pod) if phase == "Running" else succeeded_status(pod)
            async with gate:
                with contextlib.suppress(RuntimeError):  # a pod deleted meanwhile
                    await self.api.call(
                        "PATCH",
                        f"/api/v1/namespaces/{self.ns}/pods/{pod['metadata']['name']}/status",
                        patch,
                        ctype="application/merge-patch+json",
                    )

        await asyncio.gather(*(one(p) for p in pods))


async def wait_for(check: Any, limit: float, interval: float = 0.2) -> Any:
    """Poll the async `check` until it returns something truthy; TimeoutError after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {limit}s waiting for {getattr(check, '__name__', check)}")
        await asyncio.sleep(interval)


def condition(job: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def split_counts(counts: collections.Counter[str]) -> Obj:
    """Writes (events apart), reads, watches."""
    writes = {k: n for k, n in counts.items() if k.split()[0] in WRITE_VERBS and not k.endswith(" events")}
    events = sum(n for k, n in counts.items() if k.split()[0] in WRITE_VERBS and k.endswith(" events"))
    reads = {k: n for k, n in counts.items() if k.split()[0] in READ_VERBS}
    watches = {k: n for k, n in counts.items() if k.split()[0] == "watch"}
    return {"writes": writes, "events": events, "reads": reads, "watches": watches}


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "serve":
    serve(sys.argv[2])
