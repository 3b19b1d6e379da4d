"""What the operator benchmarks share: where they run (a fresh kubelet-less local cluster, or any cluster
given with `--kubeconfig`), the benchmark's own API client, the operator process and its request counts read
from its /metrics, and the pod-lifecycle simulator.

The local cluster (`python bench/operator_harness.py serve STATE_DIR`) runs the API server and the built-in
controllers (scheduler, batch Job controller, garbage collector) but no kubelet. On either kind of cluster the
benchmarks' pods are pinned (`nodeName`) to a node no kubelet serves, `training-operator-bench` (a Node object
the harness creates on an existing cluster, so the pod garbage collector leaves them alone; they tolerate its
NotReady taints), so no pod ever runs: the simulator moves pods through Running and Succeeded by patching
`pods/<name>/status`, as a kubelet would.

The operator's requests are what it counts itself (`training_operator_api_requests_total` on its /metrics,
docs/metrics.md), so the figures need nothing from the server. Everything a benchmark creates lives in
namespaces named `--namespace-prefix` + a name, which are deleted at the end; on an existing cluster the
harness also removes the node and the CRDs it installed (CRDs that were there before are left alone).
"""

import argparse
import asyncio
import collections
import contextlib
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from training_operator.core import access
from training_operator.unified.testing import stop

REPO = Path(__file__).resolve().parent.parent
CRDS = REPO / "manifests" / "base" / "crds"
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
WRITE_VERBS = ("create", "update", "patch", "delete", "deletecollection")
READ_VERBS = ("get", "list")
CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
NODE = "training-operator-bench"
#: the benchmarks' pods stay on NODE even once the node lifecycle controller calls it unreachable
TOLERATIONS = [
    {"key": f"node.kubernetes.io/{taint}", "operator": "Exists", "effect": "NoExecute"}
    for taint in ("unreachable", "not-ready")
]
Obj = dict[str, Any]


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """--kubeconfig, --context and --namespace-prefix, the same in every benchmark."""
    parser.add_argument(
        "--kubeconfig", help="run against this existing cluster instead of starting fresh local ones"
    )
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument(
        "--namespace-prefix", default="bench-", help="prefix of every namespace created (default bench-)"
    )


@contextlib.contextmanager
def target_cluster(args: argparse.Namespace, tmp: Path, name: str) -> Iterator[Obj]:
    """A fresh kubelet-less local cluster with the CRDs installed, or the `--kubeconfig` cluster (CRDs
    installed if missing, the bench node created); whatever was created is removed at the end."""
    if args.kubeconfig:
        info: Obj = {"kubeconfig": args.kubeconfig, "context": args.context, "local": False, "pid": None}
        info |= {"prefix": args.namespace_prefix, "namespaces": []}
        created = asyncio.run(_prepare(info))
        try:
            yield info
        finally:
            asyncio.run(_clean_up(info, created))
        return
    with cluster_process(tmp / name) as info:
        info |= {"local": True, "context": None, "prefix": args.namespace_prefix, "namespaces": []}
        asyncio.run(_prepare(info))
        yield info


async def _prepare(info: Obj) -> list[str]:
    """The CRDs and the bench node; the paths of what this created (to delete afterwards)."""
    api = Api(info)
    try:
        created = await api.install_crds()
        if not info["local"]:
            with contextlib.suppress(RuntimeError):  # there already
                await api.call("POST", "/api/v1/nodes", {"metadata": {"name": NODE}})
                created.append(f"/api/v1/nodes/{NODE}")
        return created
    finally:
        await api.close()


async def _clean_up(info: Obj, created: list[str]) -> None:
    api = Api(info)
    try:
        for namespace in info["namespaces"]:
            await api.delete_namespace(namespace)
        for path in created:
            with contextlib.suppress(RuntimeError):
                await api.call("DELETE", path)
    finally:
        await api.close()


def pinned(template: Obj) -> Obj:
    """A pod template on the bench node, which no kubelet serves."""
    spec = template.setdefault("spec", {})
    spec["nodeName"] = NODE
    spec["tolerations"] = [*spec.get("tolerations", []), *TOLERATIONS]
    return template


# ---------------------------------------------------------------------------------------------- processes


def serve(state_dir: str) -> None:
    """Run a kubelet-less LocalCluster until SIGTERM; write url/token/ca to STATE_DIR/bench.json."""
    from training_operator.local.cluster import LocalCluster

    async def main() -> None:
        cluster = LocalCluster(state_dir, kubelet=False, network="loopback")
        await cluster.start()
        info = {"url": cluster.url, "token": cluster.token, "ca": str(cluster.ca_path), "pid": os.getpid()}
        info["kubeconfig"] = str(cluster.kubeconfig_path)
        # written whole under another name, then renamed: the parent polls for the name and reads it at once
        await asyncio.to_thread(_write_whole, Path(state_dir, "bench.json"), json.dumps(info))
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        await cluster.stop()

    asyncio.run(main())


def _write_whole(path: Path, text: str) -> None:
    fresh = path.with_name(path.name + ".tmp")
    fresh.write_text(text)
    fresh.replace(path)


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


class Api:
    """The benchmark's own aiohttp client, with the kubeconfig's credentials (kubectl's rules)."""

    def __init__(self, info: Obj, concurrency: int = 64) -> None:
        self.info = info
        credentials = access.load(info["kubeconfig"], context=info.get("context"))
        self.url = credentials.server
        context = credentials.ssl_context()
        connector = aiohttp.TCPConnector(ssl=context if context is not None else False, limit=concurrency)
        self.session = aiohttp.ClientSession(connector=connector, headers=credentials.headers())

    async def close(self) -> None:
        await self.session.close()

    async def call(
        self, method: str, path: str, body: Obj | None = None, *, params: Obj | None = None, ctype: str = ""
    ) -> Obj:
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

    async def namespace(self, name: str) -> str:
        """Create `prefix + name`, remembered for the clean-up; its name."""
        namespace = f"{self.info['prefix']}{name}"
        await self.call("POST", "/api/v1/namespaces", {"metadata": {"name": namespace}})
        self.info["namespaces"].append(namespace)
        return namespace

    async def delete_namespace(self, namespace: str, limit: float = 120) -> None:
        """Pods first with grace 0 (no kubelet confirms a graceful deletion), then the namespace; waits."""
        with contextlib.suppress(RuntimeError):
            pods = f"/api/v1/namespaces/{namespace}/pods"
            await self.call("DELETE", pods, params={"gracePeriodSeconds": "0"})
            await self.call("DELETE", f"/api/v1/namespaces/{namespace}")

        async def gone() -> bool:
            try:
                await self.call("GET", f"/api/v1/namespaces/{namespace}")
            except RuntimeError:
                return True
            return False

        with contextlib.suppress(TimeoutError):
            await wait_for(gone, limit, interval=0.5)
        if namespace in self.info["namespaces"]:
            self.info["namespaces"].remove(namespace)

    async def install_crds(self) -> list[str]:
        """Install the generated CRDs that are missing; the paths of those installed."""
        installed = []
        for path in sorted(CRDS.glob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    with contextlib.suppress(RuntimeError):  # there already
                        await self.call("POST", CRD_PATH, doc)
                        installed.append(f"{CRD_PATH}/{doc['metadata']['name']}")
        await asyncio.sleep(0.5)
        return installed

    async def count_added(
        self, namespace: str, plurals: dict[str, int], limit: float, *, first: list[float] | None = None
    ) -> float:
        """Watch `plurals` in `namespace` (from now) until each has had its number of ADDED events; the
        seconds from the call to the last of them. `first` gets the perf_counter() of the first ADDED seen."""
        started = time.perf_counter()

        async def one(plural: str, wanted: int) -> None:
            path = f"{self.url}/api/v1/namespaces/{namespace}/{plural}"
            listing = await self.call("GET", path.removeprefix(self.url), params={"limit": "1"})
            params = {"watch": "true", "resourceVersion": listing["metadata"]["resourceVersion"]}
            seen = 0
            timeout = aiohttp.ClientTimeout(total=limit)
            async with self.session.get(path, params=params, timeout=timeout) as r:
                async for line in r.content:
                    if line.strip() and json.loads(line)["type"] == "ADDED":
                        if first is not None and not first:
                            first.append(time.perf_counter())
                        seen += 1
                        if seen >= wanted:
                            return

        await asyncio.gather(*(one(p, n) for p, n in plurals.items()))
        return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------- operator


async def scrape(port: int) -> dict[str, float]:
    """The operator's /metrics as {sample name with labels: value}."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as r,
    ):
        text = await r.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples


_REQUEST = re.compile(r"^training_operator_api_requests_total\{(?P<labels>.*)\}$")
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def requests(samples: dict[str, float]) -> collections.Counter[str]:
    """The operator's own request counts as {"verb resource": n} (every outcome)."""
    counts: collections.Counter[str] = collections.Counter()
    for key, value in samples.items():
        found = _REQUEST.match(key)
        if found:
            labels = dict(_LABEL.findall(found["labels"]))
            counts[f"{labels['verb']} {labels['resource']}"] += int(value)
    return counts


async def operator_requests(port: int) -> collections.Counter[str]:
    """The operator's request counts so far (subtract an earlier reading for a stretch of time)."""
    return requests(await scrape(port))


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
    return terminated_status(pod, 0)


def terminated_status(pod: Obj, code: int) -> Obj:
    """Every container ended with `code`: the pod Succeeded (0) or Failed (anything else)."""
    stamp = now()
    return {
        "status": {
            "phase": "Succeeded" if code == 0 else "Failed",
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
                            "exitCode": code,
                            "reason": "Completed" if code == 0 else "Error",
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

    async def set_phase(self, pods: list[Obj], phase: str, concurrency: int = 32, code: int = 1) -> None:
        """Running, Succeeded, or Failed with exit `code`, as a kubelet reports each."""
        gate = asyncio.Semaphore(concurrency)

        async def one(pod: Obj) -> None:
            if phase == "Running":
                patch = running_status(pod)
            else:
                patch = terminated_status(pod, 0 if phase == "Succeeded" else code)
            async with gate:
                with contextlib.suppress(RuntimeError):  # a pod deleted meanwhile
                    await self.api.call(
                        "PATCH",
                        f"/api/v1/namespaces/{self.ns}/pods/{pod['metadata']['name']}/status",
                        patch,
                        ctype="application/merge-patch+json",
                    )

        await asyncio.gather(*(one(p) for p in pods))

    async def finish_deletions(self, pods: list[Obj]) -> None:
        """What the kubelet does for a pod being deleted gracefully: stops it and removes it (grace 0); the
        bench's pods are bound to a node no kubelet serves, so nothing else would."""
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                with contextlib.suppress(RuntimeError):  # already gone
                    await self.api.call(
                        "DELETE",
                        f"/api/v1/namespaces/{self.ns}/pods/{pod['metadata']['name']}",
                        {"gracePeriodSeconds": 0},
                    )


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


# ---------------------------------------------------------------------------------------------- operator


def cpu_seconds(pid: int | None) -> float:
    """A process's own CPU time (user + system): what it cost, whatever else shares the machine (0 for no
    process of ours: a `--kubeconfig` cluster's API server)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def running_operator(
    info: Obj, log: Path, namespace: str, *flags: str
) -> Iterator[tuple[Any, dict[str, int]]]:
    """`training-operator run` on the cluster, watching only `namespace`, once it answers /readyz; yields the
    process and its ports ("metrics", "health")."""
    from training_operator.unified.testing import operator_process

    ports: dict[str, int] = {}
    context = ("--context", info["context"]) if info.get("context") else ()
    command = ("--namespace", namespace, *context, *flags)
    with operator_process(info["kubeconfig"], log, *command, ports=ports) as process:
        asyncio.run(ready(process, ports, log))
        yield process, ports


async def ready(process: Any, ports: dict[str, int], log: Path, limit: float = 60) -> float:
    """Seconds until the operator answers 200 on /readyz (exits with its log's tail if it dies)."""
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:

        async def answered() -> bool:
            if process.poll() is not None:
                tail = await asyncio.to_thread(log.read_text)
                sys.exit(f"the operator exited:\n{tail[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{ports['health']}/readyz") as r:
                    return r.status == 200
            return False

        await wait_for(answered, limit, interval=0.05)
    return time.perf_counter() - started


def summed(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k == name or k.startswith(f"{name}{{"))


async def quiet(port: int, seconds: float) -> None:
    """Until the operator's workqueue is empty and its reconcile count has not moved for `seconds`
    (scraped twice a second: each scrape costs the operator CPU too)."""
    last, since = -1.0, time.monotonic()
    while True:
        samples = await scrape(port)
        count = summed(samples, "training_operator_reconcile_duration_seconds_count")
        depth = summed(samples, "training_operator_workqueue_depth")
        if count != last or depth:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        await asyncio.sleep(0.5)


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "serve":
    serve(sys.argv[2])
