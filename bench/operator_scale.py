"""How the operator scales: the CPU it spends per child and per job, a 1,000-replica job against a plain
script, memory and CPU with 10,000 owned pods (busy and idle), a restart holding them, and an open-loop load.

Every stage runs an operator of its own on a namespace of its own (`--namespace`), on a **fresh** kubelet-less
local cluster by default (SQLite grows with every object, so one stage's leftovers would slow the next), or on
the cluster of `--kubeconfig` (operator_harness.py says what it creates there and removes afterwards). CPU is
the operator process's own user+system time, so other work on the machine does not change it; request counts
are the operator's own (/metrics). Nothing here asserts on time: the figures are printed and written to
bench/results/operator_scale.json; bench/RESULTS.md records a run.

    python bench/operator_scale.py big      [--replicas 1000] [--rounds 3] [--qps 0]
    python bench/operator_scale.py capacity [--capacity-jobs 60] [--capacity-rate 3]
    python bench/operator_scale.py pods     [--jobs 10] [--per-job 1000] [--idle-seconds 20]
    python bench/operator_scale.py load     [--rates 1,2,4,8] [--stage-seconds 20] [--load-qps 0]
    python bench/operator_scale.py all      [--kubeconfig FILE] [--namespace-prefix bench-]

* big: per round, seconds from the job's create until all N pods and N services exist (a watch sees them),
  against a plain aiohttp script POSTing the same N + N objects 32 at a time (the operator's own bound on
  concurrent requests) on a cluster (or namespace) of its own; ratio = operator ÷ plain (and, for both, the
  seconds until the first child was seen: the fixed start apart from the rate). And the operator's
  CPU from the create until it is quiet again (every create, its answer, the watch events, the reconciles
  and status writes they feed), per child; a one-replica job first pays the one-time costs (lazy imports,
  first connections) outside the measurement.
* capacity: `--capacity-jobs` jobs of the mixed load (2, 8 and 64 replicas, weights 6:3:1, every kind in
  turn) arrive at `--capacity-rate` per second; a simulated kubelet marks each pod Running as it appears and
  all of a job's pods Succeeded once they all run. The operator's CPU from the first create until every job
  Succeeded and the operator is quiet, per job (reported as jobs per second per core of operator CPU) and
  per child. This figure does not depend on how fast the API server is.
* pods: operator RSS at rest, after half and after all of its jobs own `jobs × per-job` pods (and as many
  services), then CPU seconds per pod watch event (annotations only: the event path; then phase changes:
  event path plus the reconciles and status writes they cause), then the CPU of the operator holding all of
  it idle for `--idle-seconds`, then a restart (SIGTERM, start again): seconds until ready and until every
  job was reconciled, and the requests it made (target: 0 writes).
* load: jobs of the mixed load arriving as a Poisson process whose rate rises stage by stage; the kubelet
  marks pods Running. Per stage: p50/p99 seconds from a job's create to all its pods existing, the
  operator's workqueue wait p99 (from its histogram), the operator's CPU per job, and whether every job got
  all its pods. The sustained rate is the highest stage that kept up with the workqueue p99 under 1 s.
"""

import argparse
import asyncio
import collections
import contextlib
import copy
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from operator_harness import (
    JOB_NAME_LABEL,
    Api,
    Obj,
    Simulator,
    add_cluster_arguments,
    condition,
    cpu_seconds,
    machine,
    operator_requests,
    quiet,
    ready,
    rss_mib,
    scrape,
    split_counts,
    summed,
    target_cluster,
    wait_for,
)
from operator_writes import CONCURRENCY, KINDS, PLURALS, job_path, pytorch_workers

from training_operator.core import discovery, rendering
from training_operator.unified.testing import operator_process

RESULTS = Path(__file__).resolve().parent / "results"
RECONCILES = "training_operator_reconcile_duration_seconds_count"
SIZES = ((2, 6), (8, 3), (64, 1))


async def _new_namespace(info: Obj, name: str) -> str:
    api = Api(info)
    try:
        return await api.namespace(name)
    finally:
        await api.close()


def _with_api(info: Obj, work: Callable[[Api], Any]) -> Any:
    """`await work(api)` with a fresh benchmark client."""

    async def go() -> Any:
        api = Api(info, concurrency=CONCURRENCY)
        try:
            return await work(api)
        finally:
            await api.close()

    return asyncio.run(go())


def _operator_flags(qps: str) -> tuple[str, ...]:
    return ("--kube-api-qps", qps) if qps else ()


def _children(counts: collections.Counter[str]) -> int:
    return sum(n for key, n in counts.items() if key.startswith("create ") and not key.endswith(" events"))


# ---------------------------------------------------------------------------------------------- big


def stage_big(tmp: Path, args: argparse.Namespace) -> Obj:
    from operator_harness import running_operator

    rounds = []
    for index in range(args.rounds):
        with target_cluster(args, tmp, f"plain-{index}") as info:
            ns = asyncio.run(_new_namespace(info, f"plain-{index}"))
            plain, plain_first, plain_server = _with_api(
                info, lambda api, ns=ns: _plain(api, ns, args.replicas, args.limit, info.get("pid"))
            )
        for qps in args.qps.split(","):
            name = f"big-{index}-{qps}"
            with target_cluster(args, tmp, name) as info:
                ns = asyncio.run(_new_namespace(info, name))
                with running_operator(info, tmp / f"{name}.log", ns, *_operator_flags(qps)) as (
                    process,
                    ports,
                ):
                    row = asyncio.run(_big(info, ns, process.pid, ports["metrics"], args))
                    row["operator_rss_mib"] = round(rss_mib(process.pid), 1)
            row = {
                "round": index,
                "kube_api_qps": qps,
                "plain_seconds": round(plain, 2),
                "plain_first_child_seconds": round(plain_first, 3),
                "plain_server_cpu_ms_per_child": round(1000 * plain_server / (2 * args.replicas), 3),
                **row,
            }
            row["ratio"] = round(row["operator_seconds"] / plain, 2)
            rounds.append(row)
            print(f"big N={args.replicas}: {row}", flush=True)
    by_qps: dict[str, list[Obj]] = collections.defaultdict(list)
    for row in rounds:
        by_qps[row["kube_api_qps"]].append(row)
    medians = {
        qps: {
            "ratio": round(statistics.median(r["ratio"] for r in rows), 2),
            "cpu_ms_per_child": round(statistics.median(r["cpu_ms_per_child"] for r in rows), 3),
        }
        for qps, rows in by_qps.items()
    }
    return {"replicas": args.replicas, "children": 2 * args.replicas, "rounds": rounds, "median": medians}


def big_manifest(name: str, ns: str, replicas: int) -> Obj:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": ns},
        "spec": pytorch_workers(replicas)["spec"],
    }


async def _plain(
    api: Api, ns: str, replicas: int, limit: float, server: int | None
) -> tuple[float, float, float]:
    """A plain script: the very objects the operator creates for the same job (`render`, owned by the job,
    which no operator reconciles in this cluster), `CONCURRENCY` at a time; seconds until a watch has seen
    them all (timed as the operator's job is), until it saw the first, and the API server's CPU meanwhile."""
    job = await api.call("POST", job_path("PyTorchJob", ns), big_manifest("big", ns, replicas))
    framework = next(f for f in discovery.loadable().values() if f.kind.kind == "PyTorchJob")
    queue: asyncio.Queue[tuple[str, Obj]] = asyncio.Queue()
    for child in rendering.render(framework, job, strict_fields=False).objects:
        queue.put_nowait(({"Pod": "pods", "Service": "services"}[child["kind"]], child))

    async def worker() -> None:
        while not queue.empty():
            plural, obj = queue.get_nowait()
            await api.call("POST", f"/api/v1/namespaces/{ns}/{plural}", obj)

    first: list[float] = []
    seen = asyncio.create_task(
        api.count_added(ns, {"pods": replicas, "services": replicas}, limit, first=first)
    )
    await asyncio.sleep(0.3)  # both watches open
    started, server_cpu = time.perf_counter(), cpu_seconds(server)
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    await seen
    return time.perf_counter() - started, first[0] - started, cpu_seconds(server) - server_cpu


async def _big(info: Obj, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    api = Api(info, concurrency=CONCURRENCY)
    try:
        await _warm_up(api, ns, port, args)
        first: list[float] = []
        seen = asyncio.create_task(
            api.count_added(ns, {"pods": args.replicas, "services": args.replicas}, args.limit, first=first)
        )
        await asyncio.sleep(0.3)
        before_requests, before_cpu = await operator_requests(port), cpu_seconds(pid)
        server_cpu = cpu_seconds(info.get("pid"))
        started = time.perf_counter()
        await api.call("POST", job_path("PyTorchJob", ns), big_manifest("big", ns, args.replicas))
        await seen
        seconds = time.perf_counter() - started
        server_cpu = cpu_seconds(info.get("pid")) - server_cpu
        await quiet(port, args.settle)
        used = cpu_seconds(pid) - before_cpu
        counts = split_counts(await operator_requests(port) - before_requests)
    finally:
        await api.close()
    children = 2 * args.replicas
    return {
        "operator_seconds": round(seconds, 2),
        "operator_first_child_seconds": round(first[0] - started, 3),
        "server_cpu_ms_per_child": round(1000 * server_cpu / (2 * args.replicas), 3),
        "operator_cpu_seconds": round(used, 2),
        "cpu_ms_per_child": round(1000 * used / children, 3),
        "writes": sum(counts["writes"].values()),
        "reads": sum(counts["reads"].values()),
    }


async def _warm_up(api: Api, ns: str, port: int, args: argparse.Namespace) -> None:
    """A one-replica job through the operator, so its one-time costs stay out of the figures."""
    seen = asyncio.create_task(api.count_added(ns, {"pods": 1, "services": 1}, args.limit))
    await asyncio.sleep(0.3)
    await api.call("POST", job_path("PyTorchJob", ns), big_manifest("warm-up", ns, 1))
    await seen
    await quiet(port, args.settle)


# ---------------------------------------------------------------------------------------------- capacity


def stage_capacity(tmp: Path, args: argparse.Namespace) -> Obj:
    from operator_harness import running_operator

    with target_cluster(args, tmp, "capacity") as info:
        ns = asyncio.run(_new_namespace(info, "capacity"))
        flags = _operator_flags(args.load_qps or "0")
        with running_operator(info, tmp / "capacity.log", ns, *flags) as (process, ports):
            result = asyncio.run(_capacity(info, ns, process.pid, ports["metrics"], args))
    print(f"capacity: {result}", flush=True)
    return result


async def _capacity(info: Obj, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    api = Api(info, concurrency=64)
    kubelet = Kubelet(api, ns, finish=True)
    tasks = kubelet.start()
    try:
        await _warm_up(api, ns, port, args)
        before_requests, before_cpu = await operator_requests(port), cpu_seconds(pid)
        started = time.perf_counter()
        keys = await _arrivals(
            api, kubelet, ns, args.capacity_rate, None, random.Random(args.seed), "c", args.capacity_jobs
        )
        await wait_for(_all_succeeded(api, ns, keys), args.limit * 5, interval=1.0)
        await quiet(port, args.settle)
        used = cpu_seconds(pid) - before_cpu
        seconds = time.perf_counter() - started
        counts = await operator_requests(port) - before_requests
    finally:
        await kubelet.stop(tasks)
        await api.close()
    children = _children(counts)
    split = split_counts(counts)
    return {
        "jobs": len(keys),
        "pods": sum(kubelet.wanted[k] for k in keys),
        "children_created": children,
        "rate_jobs_per_s": args.capacity_rate,
        "wall_seconds": round(seconds, 1),
        "operator_cpu_seconds": round(used, 2),
        "cpu_ms_per_job": round(1000 * used / len(keys), 2),
        "jobs_per_cpu_second": round(len(keys) / used, 1) if used else None,
        "cpu_ms_per_child": round(1000 * used / children, 3) if children else None,
        "writes": sum(split["writes"].values()),
        "events": split["events"],
        "reads": sum(split["reads"].values()),
        "kinds": list(KINDS),
        "sizes": SIZES,
    }


def _all_succeeded(api: Api, ns: str, keys: list[tuple[str, str]]) -> Callable[[], Any]:
    kinds = {kind for kind, _ in keys}

    async def check() -> bool:
        done = set()
        for kind in kinds:
            listing = await api.call("GET", job_path(kind, ns))
            done |= {(kind, j["metadata"]["name"]) for j in listing["items"] if condition(j, "Succeeded")}
        return all(k in done for k in keys)

    return check


# ---------------------------------------------------------------------------------------------- pods


def stage_pods(tmp: Path, args: argparse.Namespace) -> Obj:
    """RSS, CPU per watch event, idle CPU and a restart, with jobs × per-job owned pods."""
    from operator_harness import running_operator

    pods = args.jobs * args.per_job
    result: Obj = {"jobs": args.jobs, "pods_per_job": args.per_job, "owned_pods": pods}
    with target_cluster(args, tmp, "pods") as info:
        ns = asyncio.run(_new_namespace(info, "owned"))
        # created without the client rate limit (qps 0) so 2 × pods creates do not take minutes at 50/s
        with running_operator(info, tmp / "pods.log", ns, "--kube-api-qps", "0") as (process, ports):
            time.sleep(args.settle)
            result["rss_mib_baseline"] = round(rss_mib(process.pid), 1)
            # two halves: the slope between them leaves out what the first job costs once (lazy imports,
            # caches, the allocator's first arenas), which is not a per-pod cost
            half = args.jobs // 2
            created = _with_api(info, lambda api: _own_pods(api, ns, ports["metrics"], args, range(half)))
            time.sleep(args.settle)
            result["rss_mib_half"] = round(rss_mib(process.pid), 1)
            created += _with_api(
                info, lambda api: _own_pods(api, ns, ports["metrics"], args, range(half, args.jobs))
            )
            time.sleep(args.settle)
            result["seconds_to_create_children"] = round(created, 1)
            result["rss_mib_holding"] = round(rss_mib(process.pid), 1)
            grown = result["rss_mib_holding"] - result["rss_mib_baseline"]
            result["rss_mib_per_10k_pods"] = round(grown / (pods / 10_000), 1)
            second = (args.jobs - half) * args.per_job
            slope = (result["rss_mib_holding"] - result["rss_mib_half"]) / (second / 10_000)
            result["rss_mib_per_10k_pods_second_half"] = round(slope, 1)
            print(f"pods: {result}", flush=True)
            result["cpu"] = _with_api(
                info, lambda api: _cpu_per_event(api, ns, process.pid, ports["metrics"], args)
            )
            print(f"cpu: {result['cpu']}", flush=True)
            result["idle"] = asyncio.run(_idle(process.pid, ports["metrics"], args))
            print(f"idle: {result['idle']}", flush=True)
        # a restart with everything in place, at the default flags
        result["restart"] = asyncio.run(_restart(info, ns, tmp, args))
        print(f"restart: {result['restart']}", flush=True)
    return result


async def _own_pods(api: Api, ns: str, port: int, args: argparse.Namespace, jobs: range) -> float:
    before = await operator_requests(port)
    started = time.perf_counter()
    for index in jobs:
        manifest = copy.deepcopy(KINDS["pytorch-workers"](args.per_job))
        manifest |= {"apiVersion": "kubeflow.org/v1", "metadata": {"name": f"j{index}", "namespace": ns}}
        await api.call("POST", job_path("PyTorchJob", ns), manifest)

    async def done() -> bool:
        counts = await operator_requests(port) - before
        return counts.get("create pods", 0) + counts.get("create services", 0) >= 2 * len(jobs) * args.per_job

    await wait_for(done, args.limit * 10, interval=0.5)
    return time.perf_counter() - started


async def _cpu_per_event(api: Api, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    sim = Simulator(api, ns)
    pods = await sim.pods(JOB_NAME_LABEL)
    out: Obj = {"events": len(pods)}
    for label, patch in (("annotation", None), ("phase_running", "Running")):
        before_metrics = await scrape(port)
        before = cpu_seconds(pid)
        started = time.perf_counter()
        if patch is None:
            await _annotate(api, ns, pods)
        else:
            await sim.set_phase(pods, patch)
        await quiet(port, args.settle)
        used = cpu_seconds(pid) - before
        after_metrics = await scrape(port)
        out[label] = {
            "cpu_seconds": round(used, 2),
            "cpu_ms_per_event": round(1000 * used / len(pods), 3),
            "reconciles": int(summed(after_metrics, RECONCILES) - summed(before_metrics, RECONCILES)),
            "wall_seconds": round(time.perf_counter() - started, 1),
        }
    return out


async def _annotate(api: Api, ns: str, pods: list[Obj]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(pod: Obj) -> None:
        patch = {"metadata": {"annotations": {"bench/touched": "1"}}}
        async with gate:
            await api.call(
                "PATCH",
                f"/api/v1/namespaces/{ns}/pods/{pod['metadata']['name']}",
                patch,
                ctype="application/merge-patch+json",
            )

    await asyncio.gather(*(one(p) for p in pods))


async def _idle(pid: int, port: int, args: argparse.Namespace) -> Obj:
    """The operator's CPU while it holds everything and nothing changes (no scrape in between)."""
    before_requests, before = await operator_requests(port), cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.sleep(args.idle_seconds)
    used, seconds = cpu_seconds(pid) - before, time.perf_counter() - started
    counts = split_counts(await operator_requests(port) - before_requests)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(used, 3),
        "percent_of_a_core": round(100 * used / seconds, 2),
        "requests": {**counts["reads"], **counts["writes"]},
    }


async def _restart(info: Obj, ns: str, tmp: Path, args: argparse.Namespace) -> Obj:
    ports: dict[str, int] = {}
    started = time.perf_counter()
    log = tmp / "restart.log"
    context = ("--context", info["context"]) if info.get("context") else ()
    with operator_process(info["kubeconfig"], log, "--namespace", ns, *context, ports=ports) as process:
        seconds_to_ready = await ready(process, ports, log)

        async def all_reconciled() -> bool:
            samples = await scrape(ports["metrics"])
            done = summed(samples, RECONCILES)
            return done >= args.jobs and not summed(samples, "training_operator_workqueue_depth")

        await wait_for(all_reconciled, args.limit, interval=0.1)
        settled = time.perf_counter() - started
        await quiet(ports["metrics"], args.settle)
        counts = split_counts(await operator_requests(ports["metrics"]))
        rss = rss_mib(process.pid)
    return {
        "seconds_to_ready": round(seconds_to_ready, 2),
        "seconds_to_all_jobs_reconciled": round(settled, 2),
        "writes": sum(counts["writes"].values()) + counts["events"],
        "reads": counts["reads"],
        "rss_mib": round(rss, 1),
    }


# ---------------------------------------------------------------------------------------------- load


def stage_load(tmp: Path, args: argparse.Namespace) -> Obj:
    from operator_harness import running_operator

    with target_cluster(args, tmp, "load") as info:
        ns = asyncio.run(_new_namespace(info, "load"))
        with running_operator(info, tmp / "load.log", ns, *_operator_flags(args.load_qps)) as (
            process,
            ports,
        ):
            result = asyncio.run(_load(info, ns, process.pid, ports["metrics"], args))
            result["operator_rss_mib"] = round(rss_mib(process.pid), 1)
    result["kube_api_qps"] = args.load_qps or "default (50)"
    return result


class Kubelet:
    """Watches the namespace's pods; marks new ones Running; notes when each job has all the pods it should
    have; with `finish`, marks all of a job's pods Succeeded once every one of them was marked Running."""

    def __init__(self, api: Api, ns: str, *, finish: bool = False) -> None:
        self.api = api
        self.ns = ns
        self.finish = finish
        self.wanted: dict[tuple[str, str], int] = {}
        self.by_name: dict[str, tuple[str, str]] = {}
        self.created_at: dict[tuple[str, str], float] = {}
        self.seen: dict[str, list[Obj]] = collections.defaultdict(list)
        self.running: collections.Counter[str] = collections.Counter()
        self.latency: dict[tuple[str, str], float] = {}
        self.to_do: asyncio.Queue[tuple[str, str, list[Obj]]] = asyncio.Queue()

    def expect(self, key: tuple[str, str], pods: int) -> None:
        self.wanted[key] = pods
        self.by_name[key[1]] = key
        self.created_at[key] = time.perf_counter()

    def start(self) -> list[asyncio.Task[Any]]:
        return [asyncio.create_task(self.watch())] + [asyncio.create_task(self.run_pods()) for _ in range(16)]

    async def stop(self, tasks: list[asyncio.Task[Any]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def watch(self) -> None:
        path = f"/api/v1/namespaces/{self.ns}/pods"
        listing = await self.api.call("GET", path, params={"limit": "1"})
        params = {"watch": "true", "resourceVersion": listing["metadata"]["resourceVersion"]}
        timeout = aiohttp.ClientTimeout(total=None)
        async with self.api.session.get(self.api.url + path, params=params, timeout=timeout) as r:
            async for line in r.content:
                event = json.loads(line)
                if event["type"] == "ADDED":
                    self._added(event["object"])

    def _added(self, pod: Obj) -> None:
        job = pod["metadata"].get("labels", {}).get(JOB_NAME_LABEL, "")
        self.seen[job].append(pod)
        self.to_do.put_nowait(("Running", job, [pod]))
        key = self.by_name.get(job)
        if key is not None and key not in self.latency and len(self.seen[job]) >= self.wanted[key]:
            self.latency[key] = time.perf_counter() - self.created_at[key]

    async def run_pods(self) -> None:
        sim = Simulator(self.api, self.ns)
        while True:
            phase, job, pods = await self.to_do.get()
            await sim.set_phase(pods, phase)
            key = self.by_name.get(job)
            if phase == "Running" and self.finish and key is not None:
                self.running[job] += len(pods)
                if self.running[job] == self.wanted[key]:
                    self.to_do.put_nowait(("Succeeded", job, self.seen[job]))


async def _load(info: Obj, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    api = Api(info, concurrency=64)
    kubelet = Kubelet(api, ns)
    tasks = kubelet.start()
    rng = random.Random(args.seed)
    stages = []
    try:
        for rate in [float(r) for r in args.rates.split(",")]:
            before, before_cpu = await scrape(port), cpu_seconds(pid)
            prefix = f"r{str(rate).replace('.', '-')}-"
            keys = await _arrivals(api, kubelet, ns, rate, args.stage_seconds, rng, prefix, None)
            with contextlib.suppress(TimeoutError):
                await wait_for(_all_in(kubelet, keys), args.grace)
            after, used = await scrape(port), cpu_seconds(pid) - before_cpu
            latencies = sorted(kubelet.latency[k] for k in keys if k in kubelet.latency)
            queue_p99 = histogram_p99(before, after, "training_operator_workqueue_queue_duration_seconds")
            row = {
                "rate_jobs_per_s": rate,
                "jobs": len(keys),
                "jobs_with_all_pods": len(latencies),
                "pods": sum(kubelet.wanted[k] for k in keys),
                "create_to_all_pods_p50_s": round(statistics.median(latencies), 2) if latencies else None,
                "create_to_all_pods_p99_s": round(_quantile(latencies, 0.99), 2) if latencies else None,
                "workqueue_wait_p99_le_s": queue_p99,
                "reconcile_p99_le_s": histogram_p99(
                    before, after, "training_operator_reconcile_duration_seconds"
                ),
                "operator_cpu_ms_per_job": round(1000 * used / max(len(keys), 1), 1),
            }
            row["kept_up"] = row["jobs_with_all_pods"] == row["jobs"] and (queue_p99 or 0) < 1
            stages.append(row)
            print(f"load: {row}", flush=True)
            if not row["kept_up"]:
                break
    finally:
        await kubelet.stop(tasks)
        await api.close()
    sustained = max((s["rate_jobs_per_s"] for s in stages if s["kept_up"]), default=0.0)
    return {"stages": stages, "sustained_jobs_per_s": sustained, "sizes": SIZES}


def histogram_p99(before: dict[str, float], after: dict[str, float], name: str) -> float | None:
    """The upper bound of the bucket holding the 99th percentile of what was observed between two scrapes."""
    buckets: dict[float, float] = collections.defaultdict(float)
    for key, value in after.items():
        if key.startswith(f"{name}_bucket{{"):
            bound = key.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] += value - before.get(key, 0.0)
    total = buckets.get(float("inf"), 0.0)
    if not total:
        return None
    for bound in sorted(buckets):
        if buckets[bound] >= 0.99 * total:
            return bound
    return None


async def _arrivals(
    api: Api,
    kubelet: Kubelet,
    ns: str,
    rate: float,
    seconds: float | None,
    rng: random.Random,
    prefix: str,
    count: int | None,
) -> list[tuple[str, str]]:
    """Open loop: creates fire at Poisson times whether or not earlier ones finished, for `seconds` or until
    `count` jobs were sent; the jobs as (kind, name)."""
    labels = list(KINDS)
    keys: list[tuple[str, str]] = []
    pending: list[asyncio.Task[Any]] = []
    start = time.perf_counter()
    at = 0.0
    while count is None or len(keys) < count:
        at += rng.expovariate(rate)
        if seconds is not None and at > seconds:
            break
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        size = rng.choices([s for s, _ in SIZES], weights=[w for _, w in SIZES])[0]
        body = KINDS[labels[len(keys) % len(labels)]](size)
        kind = body["kind"]
        name = f"{prefix}{len(keys)}"
        manifest = {
            "apiVersion": "kubeflow.org/v2beta1" if kind == "MPIJob" else "kubeflow.org/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": ns},
            "spec": body["spec"],
        }
        kubelet.expect((kind, name), size + 1 if kind == "MPIJob" else size)  # MPI: the launcher's pod too
        pending.append(asyncio.create_task(api.call("POST", job_path(kind, ns), manifest)))
        keys.append((kind, name))
    await asyncio.gather(*pending)
    return keys


def _all_in(kubelet: Kubelet, keys: list[tuple[str, str]]) -> Callable[[], Any]:
    async def check() -> bool:
        return all(k in kubelet.latency for k in keys)

    return check


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------------------------------------- main


STAGES: dict[str, Callable[[Path, argparse.Namespace], Obj]] = {
    "big": stage_big,
    "capacity": stage_capacity,
    "pods": stage_pods,
    "load": stage_load,
}
assert set(PLURALS) >= {KINDS[k](2)["kind"] for k in KINDS}


def main(argv: list[str] | None = None) -> Obj:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[*STAGES, "all"])
    parser.add_argument("--replicas", type=int, default=1000, help="big: replicas of the PyTorchJob")
    parser.add_argument("--rounds", type=int, default=3, help="big: rounds, each on fresh clusters")
    parser.add_argument("--qps", default="0", help="big: operator --kube-api-qps values, comma list")
    parser.add_argument("--capacity-jobs", type=int, default=60, help="capacity: jobs of the mixed load")
    parser.add_argument("--capacity-rate", type=float, default=3.0, help="capacity: arrivals per second")
    parser.add_argument("--jobs", type=int, default=10, help="pods: jobs")
    parser.add_argument("--per-job", type=int, default=1000, help="pods: worker replicas per job")
    parser.add_argument("--idle-seconds", type=float, default=20.0, help="pods: seconds of idle CPU measured")
    parser.add_argument("--rates", default="1,2,4,8,16", help="load: job arrivals per second, per stage")
    parser.add_argument("--stage-seconds", type=float, default=20.0, help="load: seconds of arrivals")
    parser.add_argument("--grace", type=float, default=30.0, help="load: seconds to finish a stage")
    parser.add_argument("--load-qps", default="", help="load, capacity: operator --kube-api-qps")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of quiet that count as settled")
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "operator_scale.json")
    add_cluster_arguments(parser)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups: stop operators, clusters
    stages = list(STAGES) if args.stage == "all" else [args.stage]
    result: Obj = {"machine": machine(), "arguments": vars(args) | {"out": str(args.out)}}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for stage in stages:
            result[stage] = STAGES[stage](Path(tmp), args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"\nwritten to {args.out}")
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
