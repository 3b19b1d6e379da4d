"""How the operator scales (issue 11): a 1,000-replica job against a plain script, memory and CPU with 10,000
owned pods, a restart holding them, and an open-loop mixed load.

Every stage starts a **fresh** kubelet-less local cluster (operator_harness.py), so one stage's leftovers do
not slow the next (SQLite grows with every object). Nothing here asserts on time: the figures are printed and
written to bench/results/operator_scale.json; bench/RESULTS.md records a run.

    python bench/operator_scale.py big  [--replicas 1000] [--rounds 3] [--qps 0]
    python bench/operator_scale.py pods [--jobs 10] [--per-job 1000]
    python bench/operator_scale.py load [--rates 1,2,4,8] [--stage-seconds 20] [--load-qps 0]
    python bench/operator_scale.py all

* big: seconds from the job's create until the operator's N pod + N service creates reached the server, and
  the same N + N objects POSTed by a plain aiohttp script 32 at a time (the operator's own bound on
  concurrent requests); ratio = operator ÷ plain, per round, each run on its own fresh cluster.
* pods: operator RSS at rest, after half and after all of its jobs own `jobs × per-job` pods (and as many
  services; the slope over the second half leaves the one-time cost of the first job out), then CPU
  seconds per pod watch event (pod annotations only: the event path; then phase changes: event path plus the
  reconciles and status writes they cause), then a restart (SIGTERM, start again) holding all of it: seconds
  until ready and until every job was reconciled, and the writes it made (target 0).
* load: jobs of 2, 8 and 64 replicas (weights 6:3:1), every kind in turn, arriving as a Poisson process whose
  rate rises stage by stage; a simulated kubelet marks each pod Running as it appears. Per stage: p50/p99
  seconds from a job's create to all its pods existing, the operator's workqueue wait p99 (from its
  histogram), and whether every job got all its pods. The sustained rate is the highest stage that kept up
  with the workqueue p99 under 1 s.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
from operator_harness import (
    JOB_NAME_LABEL,
    Api,
    Obj,
    Simulator,
    cluster_process,
    install_crds,
    machine,
    rss_mib,
    split_counts,
    wait_for,
)
from operator_writes import CONCURRENCY, KINDS, big_job, job_path, make_namespace, plain_creates

from training_operator.unified.testing import operator_process

RESULTS = Path(__file__).resolve().parent / "results"
TICKS = 100  # USER_HZ: /proc/<pid>/stat counts CPU time in these
ROLE = "training.kubeflow.org/job-role"


# ---------------------------------------------------------------------------------------------- worlds


@contextlib.contextmanager
def fresh_cluster(tmp: Path, name: str) -> Iterator[Obj]:
    with cluster_process(tmp / name) as info:
        asyncio.run(install_crds(info))
        yield info


@contextlib.contextmanager
def operator(info: Obj, tmp: Path, name: str, *extra: str) -> Iterator[tuple[Any, dict[str, int]]]:
    """The operator on `info`'s cluster, once it answers /readyz."""
    ports: dict[str, int] = {}
    log = tmp / f"{name}.log"
    with operator_process(info["kubeconfig"], log, *extra, ports=ports) as process:
        asyncio.run(_ready(process, ports, log))
        yield process, ports


async def _ready(process: Any, ports: dict[str, int], log: Path, limit: float = 60) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:

        async def ready() -> bool:
            if process.poll() is not None:
                tail = await asyncio.to_thread(log.read_text)
                sys.exit(f"the operator exited:\n{tail[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{ports['health']}/readyz") as r:
                    return r.status == 200
            return False

        await wait_for(ready, limit, interval=0.05)
    return time.perf_counter() - started


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


async def scrape(ports: dict[str, int]) -> dict[str, float]:
    """The operator's /metrics as {sample name with labels: value}."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{ports['metrics']}/metrics") as r,
    ):
        text = await r.text()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            samples[key] = float(value)
    return samples


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


def summed(samples: dict[str, float], name: str) -> float:
    return sum(v for k, v in samples.items() if k == name or k.startswith(f"{name}{{"))


# ---------------------------------------------------------------------------------------------- big


def stage_big(tmp: Path, args: argparse.Namespace) -> Obj:
    rounds = []
    for index in range(args.rounds):
        with fresh_cluster(tmp, f"plain-{index}") as info:
            plain = asyncio.run(_plain(info, args.replicas))
        for qps in args.qps.split(","):
            with (
                fresh_cluster(tmp, f"big-{index}-{qps}") as info,
                operator(info, tmp, f"big-{index}-{qps}", "--kube-api-qps", qps) as (process, _),
            ):
                seconds = asyncio.run(_big(info, args.replicas, args.limit))
                row = {
                    "round": index,
                    "kube_api_qps": qps,
                    "plain_seconds": round(plain, 2),
                    "operator_seconds": round(seconds, 2),
                    "ratio": round(seconds / plain, 2),
                    "operator_rss_mib": round(rss_mib(process.pid), 1),
                }
            rounds.append(row)
            print(f"big N={args.replicas}: {row}", flush=True)
    by_qps: dict[str, list[float]] = collections.defaultdict(list)
    for row in rounds:
        by_qps[row["kube_api_qps"]].append(row["ratio"])
    medians = {qps: round(statistics.median(r), 2) for qps, r in by_qps.items()}
    children = 2 * args.replicas
    return {"replicas": args.replicas, "children": children, "rounds": rounds, "median_ratio": medians}


async def _plain(info: Obj, replicas: int) -> float:
    api = Api(info, concurrency=CONCURRENCY)
    try:
        return await plain_creates(api, replicas)
    finally:
        await api.close()


async def _big(info: Obj, replicas: int, limit: float) -> float:
    api = Api(info, concurrency=CONCURRENCY)
    try:
        return await big_job(api, replicas, limit)
    finally:
        await api.close()


# ---------------------------------------------------------------------------------------------- pods


def stage_pods(tmp: Path, args: argparse.Namespace) -> Obj:
    """RSS, CPU per watch event and a restart, with jobs × per-job owned pods."""
    pods = args.jobs * args.per_job
    result: Obj = {"jobs": args.jobs, "pods_per_job": args.per_job, "owned_pods": pods}
    with fresh_cluster(tmp, "pods") as info:
        # created without the client rate limit (qps 0) so 2 × pods creates do not take minutes at 50/s
        with operator(info, tmp, "pods", "--kube-api-qps", "0") as (process, ports):
            asyncio.run(asyncio.sleep(args.settle))
            result["rss_mib_baseline"] = round(rss_mib(process.pid), 1)
            # two halves: the slope between them leaves out what the first job costs once (lazy imports,
            # caches, the allocator's first arenas), which is not a per-pod cost
            half = args.jobs // 2
            created = asyncio.run(_own_pods(info, args, range(half)))
            asyncio.run(asyncio.sleep(args.settle))
            result["rss_mib_half"] = round(rss_mib(process.pid), 1)
            created += asyncio.run(_own_pods(info, args, range(half, args.jobs)))
            asyncio.run(asyncio.sleep(args.settle))
            result["seconds_to_create_children"] = round(created, 1)
            result["rss_mib_holding"] = round(rss_mib(process.pid), 1)
            grown = result["rss_mib_holding"] - result["rss_mib_baseline"]
            result["rss_mib_per_10k_pods"] = round(grown / (pods / 10_000), 1)
            second = (args.jobs - half) * args.per_job
            slope = (result["rss_mib_holding"] - result["rss_mib_half"]) / (second / 10_000)
            result["rss_mib_per_10k_pods_second_half"] = round(slope, 1)
            print(f"pods: {result}", flush=True)
            result["cpu"] = asyncio.run(_cpu_per_event(info, process.pid, ports, args))
            print(f"cpu: {result['cpu']}", flush=True)
        # a restart with everything in place, at the default flags
        result["restart"] = asyncio.run(_restart(info, tmp, args))
        print(f"restart: {result['restart']}", flush=True)
    return result


async def _own_pods(info: Obj, args: argparse.Namespace, jobs: range) -> float:
    api = Api(info, concurrency=CONCURRENCY)
    try:
        if jobs.start == 0:
            await make_namespace(api, "owned")
        await api.reset_counts()
        started = time.perf_counter()
        for index in jobs:
            manifest = copy.deepcopy(KINDS["pytorch-workers"](args.per_job))
            metadata = {"name": f"j{index}", "namespace": "owned"}
            manifest |= {"apiVersion": "kubeflow.org/v1", "metadata": metadata}
            await api.call("POST", job_path("PyTorchJob", "owned"), manifest)

        async def done() -> bool:
            counts = await api.operator_counts()
            created = counts.get("create pods", 0) + counts.get("create services", 0)
            return created >= 2 * len(jobs) * args.per_job

        await wait_for(done, args.limit * 10, interval=0.5)
        return time.perf_counter() - started
    finally:
        await api.close()


async def _cpu_per_event(info: Obj, pid: int, ports: dict[str, int], args: argparse.Namespace) -> Obj:
    api = Api(info, concurrency=CONCURRENCY)
    sim = Simulator(api, "owned")
    try:
        pods = await sim.pods(JOB_NAME_LABEL)
        out: Obj = {"events": len(pods)}
        for label, patch in (("annotation", None), ("phase_running", "Running")):
            before_metrics = await scrape(ports)
            before = cpu_seconds(pid)
            started = time.perf_counter()
            if patch is None:
                await _annotate(api, pods)
            else:
                await sim.set_phase(pods, patch)
            await _quiet(ports, args.settle)
            used = cpu_seconds(pid) - before
            after_metrics = await scrape(ports)
            reconciles = summed(after_metrics, "training_operator_reconcile_duration_seconds_count") - summed(
                before_metrics, "training_operator_reconcile_duration_seconds_count"
            )
            out[label] = {
                "cpu_seconds": round(used, 2),
                "cpu_ms_per_event": round(1000 * used / len(pods), 3),
                "reconciles": int(reconciles),
                "wall_seconds": round(time.perf_counter() - started, 1),
            }
        return out
    finally:
        await api.close()


async def _annotate(api: Api, pods: list[Obj]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(pod: Obj) -> None:
        patch = {"metadata": {"annotations": {"bench/touched": "1"}}}
        async with gate:
            await api.call(
                "PATCH",
                f"/api/v1/namespaces/owned/pods/{pod['metadata']['name']}",
                patch,
                ctype="application/merge-patch+json",
            )

    await asyncio.gather(*(one(p) for p in pods))


async def _quiet(ports: dict[str, int], seconds: float) -> None:
    """Until the operator's workqueue is empty and its reconcile count stops moving for `seconds`."""
    last, since = -1.0, time.monotonic()
    while True:
        samples = await scrape(ports)
        count = summed(samples, "training_operator_reconcile_duration_seconds_count")
        depth = summed(samples, "training_operator_workqueue_depth")
        if count != last or depth:
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= seconds:
            return
        await asyncio.sleep(0.2)


async def _restart(info: Obj, tmp: Path, args: argparse.Namespace) -> Obj:
    api = Api(info)
    try:
        await api.reset_counts()
        ports: dict[str, int] = {}
        started = time.perf_counter()
        with operator_process(info["kubeconfig"], tmp / "restart.log", ports=ports) as process:
            ready = await _ready(process, ports, tmp / "restart.log")

            async def all_reconciled() -> bool:
                samples = await scrape(ports)
                done = summed(samples, "training_operator_reconcile_duration_seconds_count")
                return done >= args.jobs and not summed(samples, "training_operator_workqueue_depth")

            await wait_for(all_reconciled, args.limit, interval=0.1)
            settled = time.perf_counter() - started
            await _quiet(ports, args.settle)
            counts = split_counts(await api.operator_counts())
            rss = rss_mib(process.pid)
        return {
            "seconds_to_ready": round(ready, 2),
            "seconds_to_all_jobs_reconciled": round(settled, 2),
            "writes": sum(counts["writes"].values()) + counts["events"],
            "reads": counts["reads"],
            "rss_mib": round(rss, 1),
        }
    finally:
        await api.close()


# ---------------------------------------------------------------------------------------------- load


SIZES = ((2, 6), (8, 3), (64, 1))


def stage_load(tmp: Path, args: argparse.Namespace) -> Obj:
    flags = ["--kube-api-qps", args.load_qps] if args.load_qps else []
    with (
        fresh_cluster(tmp, "load") as info,
        operator(info, tmp, "load", *flags) as (process, ports),
    ):
        result = asyncio.run(_load(info, ports, args))
        result["operator_rss_mib"] = round(rss_mib(process.pid), 1)
    result["kube_api_qps"] = args.load_qps or "default (50)"
    return result


class Kubelet:
    """Watches every pod; marks new ones Running; notes when each job has all the pods it should have."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.wanted: dict[tuple[str, str], int] = {}
        self.created_at: dict[tuple[str, str], float] = {}
        self.seen: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
        self.latency: dict[tuple[str, str], float] = {}
        self.to_run: asyncio.Queue[Obj] = asyncio.Queue()

    def expect(self, ns: str, name: str, pods: int) -> None:
        self.wanted[(ns, name)] = pods
        self.created_at[(ns, name)] = time.perf_counter()

    async def watch(self) -> None:
        listing = await self.api.call("GET", "/api/v1/pods")
        version = listing["metadata"]["resourceVersion"]
        params = {"watch": "true", "resourceVersion": version, "allowWatchBookmarks": "true"}
        url = self.api.url + "/api/v1/pods"
        async with self.api.session.get(url, params=params, timeout=aiohttp.ClientTimeout(total=None)) as r:
            async for line in r.content:
                event = json.loads(line)
                if event["type"] == "ADDED":
                    self._added(event["object"])

    def _added(self, pod: Obj) -> None:
        meta = pod["metadata"]
        key = (meta["namespace"], meta.get("labels", {}).get(JOB_NAME_LABEL, ""))
        self.seen[key].add(meta["name"])
        self.to_run.put_nowait(pod)
        if key in self.wanted and key not in self.latency and len(self.seen[key]) >= self.wanted[key]:
            self.latency[key] = time.perf_counter() - self.created_at[key]

    async def run_pods(self) -> None:
        while True:
            pod = await self.to_run.get()
            await Simulator(self.api, pod["metadata"]["namespace"]).set_phase([pod], "Running")


async def _load(info: Obj, ports: dict[str, int], args: argparse.Namespace) -> Obj:
    api = Api(info, concurrency=64)
    kubelet = Kubelet(api)
    tasks = [asyncio.create_task(kubelet.watch())]
    tasks += [asyncio.create_task(kubelet.run_pods()) for _ in range(16)]
    rng = random.Random(args.seed)
    labels = list(KINDS)
    stages = []
    try:
        for rate in [float(r) for r in args.rates.split(",")]:
            ns = f"load-{str(rate).replace('.', '-')}"
            await make_namespace(api, ns)
            before = await scrape(ports)
            keys = await _arrivals(api, kubelet, ns, rate, args.stage_seconds, rng, labels)
            with contextlib.suppress(TimeoutError):
                await wait_for(_all_in(kubelet, keys), args.grace)
            after = await scrape(ports)
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
            }
            row["kept_up"] = row["jobs_with_all_pods"] == row["jobs"] and (queue_p99 or 0) < 1
            stages.append(row)
            print(f"load: {row}", flush=True)
            if not row["kept_up"]:
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await api.close()
    sustained = max((s["rate_jobs_per_s"] for s in stages if s["kept_up"]), default=0.0)
    return {"stages": stages, "sustained_jobs_per_s": sustained, "sizes": SIZES}


async def _arrivals(
    api: Api, kubelet: Kubelet, ns: str, rate: float, seconds: float, rng: random.Random, labels: list[str]
) -> list[tuple[str, str]]:
    """Open loop: creates fire at Poisson times whether or not earlier ones finished."""
    keys: list[tuple[str, str]] = []
    pending: list[asyncio.Task[Any]] = []
    start = time.perf_counter()
    at = 0.0
    index = 0
    while True:
        at += rng.expovariate(rate)
        if at > seconds:
            break
        await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
        size = rng.choices([s for s, _ in SIZES], weights=[w for _, w in SIZES])[0]
        label = labels[index % len(labels)]
        body = KINDS[label](size)
        kind = body["kind"]
        name = f"j{index}"
        manifest = {
            "apiVersion": "kubeflow.org/v2beta1" if kind == "MPIJob" else "kubeflow.org/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": ns},
            "spec": body["spec"],
        }
        kubelet.expect(ns, name, _pods_of(kind, size))
        pending.append(asyncio.create_task(api.call("POST", job_path(kind, ns), manifest)))
        keys.append((ns, name))
        index += 1
    await asyncio.gather(*pending)
    return keys


def _all_in(kubelet: Kubelet, keys: list[tuple[str, str]]) -> Callable[[], Any]:
    async def check() -> bool:
        return all(k in kubelet.latency for k in keys)

    return check


def _pods_of(kind: str, size: int) -> int:
    return size + 1 if kind == "MPIJob" else size  # MPIJob: N workers plus the launcher's pod


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


# ---------------------------------------------------------------------------------------------- main


STAGES: dict[str, Callable[[Path, argparse.Namespace], Obj]] = {
    "big": stage_big,
    "pods": stage_pods,
    "load": stage_load,
}


def main(argv: list[str] | None = None) -> Obj:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", choices=[*STAGES, "all"])
    parser.add_argument("--replicas", type=int, default=1000, help="big: replicas of the PyTorchJob")
    parser.add_argument("--rounds", type=int, default=3, help="big: rounds, each on fresh clusters")
    parser.add_argument("--qps", default="0", help="big: operator --kube-api-qps values, comma list")
    parser.add_argument("--jobs", type=int, default=10, help="pods: jobs")
    parser.add_argument("--per-job", type=int, default=1000, help="pods: worker replicas per job")
    parser.add_argument("--rates", default="1,2,4,8,16", help="load: job arrivals per second, per stage")
    parser.add_argument("--stage-seconds", type=float, default=20.0, help="load: seconds of arrivals")
    parser.add_argument("--grace", type=float, default=30.0, help="load: seconds to finish a stage")
    parser.add_argument("--load-qps", default="", help="load: operator --kube-api-qps (default: its own)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds of quiet that count as settled")
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "operator_scale.json")
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
