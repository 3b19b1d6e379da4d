"""How many API writes the operator spends per job, against the minimum; reads at rest; a 1,000-replica job.

For each kind and replica count N the script creates the job, waits for all its pods, patches them all
Running (as a kubelet would), waits for the job's Running condition, patches them all Succeeded and waits for
the job's Succeeded condition; then it takes the API server's request counters, subtracts its own requests
and reports the operator's writes (create/update/patch/delete on every resource but events; events apart)
divided by the minimum: 2N+3 for the v1 kinds (N pods, N services, Created/Running/Succeeded status writes)
and N+8 for MPIJob (mpi.md §8/§18: Service, ConfigMap, Secret, N workers, launcher Job, three status writes,
and the discover_hosts.sh rewrite once the workers run).
Then, with nothing happening, it counts the operator's GET/LIST for `--quiet` seconds (the target is 0).

`--big 1000` also times a 1,000-replica PyTorchJob from create until all 2,000 children (pods + services)
exist, against a plain aiohttp script creating the same 2,000 objects at the operator's default concurrency
(32) on the same server. Nothing here asserts on time; the figures are printed and written to bench/results/.

    python bench/operator_writes.py [--kinds all] [--replicas 1,8,64] [--big 1000] [--big-qps 50,0] [--jobs 0]
                                    [--one-by-one]
"""

import argparse
import asyncio
import collections
import copy
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from operator_harness import (
    JOB_NAME_LABEL,
    Api,
    Obj,
    Simulator,
    cluster_process,
    condition,
    install_crds,
    machine,
    rss_mib,
    split_counts,
    wait_for,
)

from training_operator.unified.testing import operator_process

RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCY = 32  # the operator's ApiClient default bound on concurrent requests
ROLE = "training.kubeflow.org/job-role"  # MPIJob pods: launcher or worker


def container(name: str) -> Obj:
    return {"name": name, "image": "local", "command": ["true"]}


def replica(count: int, name: str, restart: str = "Never") -> Obj:
    template = {"spec": {"containers": [container(name)]}}
    return {"replicas": count, "restartPolicy": restart, "template": template}


def pytorch_workers(n: int) -> Obj:
    return {"kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": {"Worker": replica(n, "pytorch")}}}


def pytorch_master(n: int) -> Obj:
    specs = {"Master": replica(1, "pytorch")}
    if n > 1:
        specs["Worker"] = replica(n - 1, "pytorch")
    return {"kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": specs}}


def tf_workers(n: int) -> Obj:
    return {"kind": "TFJob", "spec": {"tfReplicaSpecs": {"Worker": replica(n, "tensorflow")}}}


def xgboost(n: int) -> Obj:
    specs = {"Master": replica(1, "xgboost")}
    if n > 1:
        specs["Worker"] = replica(n - 1, "xgboost")
    return {"kind": "XGBoostJob", "spec": {"xgbReplicaSpecs": specs}}


def mxnet(n: int) -> Obj:
    if n < 3:
        specs = {"Worker": replica(n, "mxnet")}
    else:
        specs = {
            "Scheduler": replica(1, "mxnet"),
            "Server": replica(1, "mxnet"),
            "Worker": replica(n - 2, "mxnet"),
        }
    return {"kind": "MXJob", "spec": {"jobMode": "MXTrain", "mxReplicaSpecs": specs}}


def mpi(n: int) -> Obj:
    launcher = replica(1, "mpi-launcher", "OnFailure")
    return {
        "kind": "MPIJob",
        "spec": {
            "slotsPerWorker": 1,
            "mpiReplicaSpecs": {"Launcher": launcher, "Worker": replica(n, "mpi-worker")},
        },
    }


KINDS: dict[str, Callable[[int], Obj]] = {
    "pytorch-workers": pytorch_workers,
    "pytorch-master": pytorch_master,
    "tfjob": tf_workers,
    "xgboost": xgboost,
    "mxjob": mxnet,
    "mpijob": mpi,
}
PLURALS = {
    "PyTorchJob": "pytorchjobs",
    "TFJob": "tfjobs",
    "XGBoostJob": "xgboostjobs",
    "MXJob": "mxjobs",
    "MPIJob": "mpijobs",
}


def minimum(kind: str, n: int) -> int:
    # MPIJob: Service, ConfigMap, Secret, N workers, launcher Job, 3 status writes, and the discover_hosts.sh
    # rewrite mpi.md requires once the workers run (its acceptance case shows the ConfigMap updated then)
    return n + 8 if kind == "MPIJob" else 2 * n + 3


def job_path(kind: str, ns: str, name: str = "") -> str:
    version = "v2beta1" if kind == "MPIJob" else "v1"
    base = f"/apis/kubeflow.org/{version}/namespaces/{ns}/{PLURALS[kind]}"
    return f"{base}/{name}" if name else base


async def make_namespace(api: Api, ns: str) -> None:
    await api.call("POST", "/api/v1/namespaces", {"metadata": {"name": ns}})


async def run_case(api: Api, label: str, n: int, quiet: float, limit: float, one_by_one: bool = False) -> Obj:
    """One job through its life; the operator's requests for it; reads while at rest.

    `one_by_one`: the simulated kubelet starts and finishes pods one after another (each patch waits for
    the previous answer) instead of all together, as a real node spreads them; the operator then sees
    intermediate replica counts, and its coalescing decides how many status writes they cost."""
    body = KINDS[label](n)
    kind = body["kind"]
    ns = f"w-{label}-{n}"
    name = "bench"
    await make_namespace(api, ns)
    await asyncio.sleep(0.3)
    sim = Simulator(api, ns)
    await api.reset_counts()
    started = time.perf_counter()
    manifest = {
        "apiVersion": "kubeflow.org/v2beta1" if kind == "MPIJob" else "kubeflow.org/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        **copy.deepcopy({"spec": body["spec"]}),
    }
    await api.call("POST", job_path(kind, ns), manifest)
    selector = f"{JOB_NAME_LABEL}={name}"
    workers_wanted = n

    async def all_pods() -> list[Obj]:
        pods = await sim.pods(selector)
        if kind == "MPIJob":
            pods = [p for p in pods if p["metadata"]["labels"].get(ROLE) != "launcher"]
        return pods if len(pods) >= workers_wanted else []

    async def job() -> Obj:
        return await api.call("GET", job_path(kind, ns, name))

    async def with_condition(kind_of: str) -> Callable[[], Any]:
        async def check() -> Obj | None:
            found = await job()
            return found if condition(found, kind_of) else None

        return check

    pods = await wait_for(all_pods, limit)
    spread = 1 if one_by_one else 32
    await sim.set_phase(pods, "Running", concurrency=spread)
    if kind == "MPIJob":
        launcher = await wait_for(lambda: launcher_pods(sim, selector), limit)
        await sim.set_phase(launcher, "Running")
    await wait_for(await with_condition("Running"), limit)
    if kind == "MPIJob":
        await sim.set_phase(launcher, "Succeeded")  # the batch Job controller then completes the Job
    await sim.set_phase(pods, "Succeeded", concurrency=spread)
    await wait_for(await with_condition("Succeeded"), limit)
    seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)  # let trailing writes for this job land in the counters
    life = split_counts(await api.operator_counts())
    await api.reset_counts()
    await asyncio.sleep(quiet)
    rest = split_counts(await api.operator_counts())
    writes = sum(life["writes"].values())
    low = minimum(kind, n)
    return {
        "case": label,
        "kind": kind,
        "replicas": n,
        "writes": writes,
        "minimum": low,
        "ratio": round(writes / low, 2),
        "events": life["events"],
        "reads_during_life": sum(life["reads"].values()),
        "reads_at_rest": sum(rest["reads"].values()),
        "writes_at_rest": sum(rest["writes"].values()),
        "quiet_seconds": quiet,
        "seconds": round(seconds, 2),
        "write_detail": life["writes"],
        "read_detail": life["reads"],
        "rest_detail": {**rest["reads"], **rest["writes"]},
    }


async def launcher_pods(sim: Simulator, selector: str) -> list[Obj]:
    pods = await sim.pods(selector)
    return [p for p in pods if p["metadata"]["labels"].get(ROLE) == "launcher"]


async def created_children(api: Api) -> int:
    counts = await api.operator_counts()
    return counts.get("create pods", 0) + counts.get("create services", 0)


async def big_job(api: Api, replicas: int, limit: float) -> float:
    """Seconds from create to all 2×replicas children created by the operator (counted at the server)."""
    ns = f"big-{int(time.time() * 1000) % 10**8}"
    await make_namespace(api, ns)
    await asyncio.sleep(0.3)
    await api.reset_counts()
    manifest = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "big", "namespace": ns},
        "spec": pytorch_workers(replicas)["spec"],
    }
    started = time.perf_counter()
    await api.call("POST", job_path("PyTorchJob", ns), manifest)

    async def done() -> bool:
        return await created_children(api) >= 2 * replicas

    await wait_for(done, limit, interval=0.05)
    return time.perf_counter() - started


async def plain_creates(api: Api, replicas: int) -> float:
    """A plain script: the same number of pods and services, `CONCURRENCY` at a time, same server."""
    ns = f"plain-{int(time.time() * 1000) % 10**8}"
    await make_namespace(api, ns)
    await asyncio.sleep(0.3)
    queue: asyncio.Queue[tuple[str, Obj]] = asyncio.Queue()
    for index in range(replicas):
        name = f"plain-worker-{index}"
        labels = {JOB_NAME_LABEL: "plain", "training.kubeflow.org/replica-index": str(index)}
        pod = {"metadata": {"name": name, "labels": labels}, "spec": {"containers": [container("pytorch")]}}
        service = {
            "metadata": {"name": name, "labels": labels},
            "spec": {
                "clusterIP": "None",
                "selector": labels,
                "ports": [{"name": "pytorchjob-port", "port": 23456}],
            },
        }
        queue.put_nowait(("pods", pod))
        queue.put_nowait(("services", service))

    async def worker() -> None:
        while not queue.empty():
            plural, obj = queue.get_nowait()
            await api.call("POST", f"/api/v1/namespaces/{ns}/{plural}", obj)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - started


async def many_jobs(api: Api, count: int, limit: float) -> float:
    """`count` one-worker PyTorchJobs created at once; seconds until the operator made all their children."""
    ns = "many"
    await make_namespace(api, ns)
    await asyncio.sleep(0.3)
    await api.reset_counts()
    started = time.perf_counter()
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(index: int) -> None:
        manifest = {
            "apiVersion": "kubeflow.org/v1",
            "kind": "PyTorchJob",
            "metadata": {"name": f"job-{index}", "namespace": ns},
            "spec": pytorch_workers(1)["spec"],
        }
        async with gate:
            await api.call("POST", job_path("PyTorchJob", ns), manifest)

    await asyncio.gather(*(one(i) for i in range(count)))

    async def done() -> bool:
        return await created_children(api) >= 2 * count

    await wait_for(done, limit, interval=0.5)
    seconds = time.perf_counter() - started
    # Later operators must not start with 1,000 jobs. No kubelet confirms a graceful pod deletion, so the
    # pods go first with grace 0, or the namespace would stay Terminating.
    await api.call("DELETE", f"/api/v1/namespaces/{ns}/pods", params={"gracePeriodSeconds": "0"})
    await api.call("DELETE", f"/api/v1/namespaces/{ns}")

    async def gone() -> bool:
        try:
            await api.call("GET", f"/api/v1/namespaces/{ns}")
        except RuntimeError:
            return True
        return False

    await wait_for(gone, limit, interval=0.5)
    return seconds


def table(rows: list[Obj]) -> str:
    head = "| case | kind | N | writes | minimum | ratio | events | reads (life) | reads at rest | seconds |"
    lines = [head, "|" + "---|" * 10]
    lines.extend(
        f"| {r['case']} | {r['kind']} | {r['replicas']} | {r['writes']} | {r['minimum']} | {r['ratio']} "
        f"| {r['events']} | {r['reads_during_life']} | {r['reads_at_rest']} in {r['quiet_seconds']:g}s "
        f"| {r['seconds']} |"
        for r in rows
    )
    return "\n".join(lines)


async def bench(info: Obj, pid: int, args: argparse.Namespace) -> Obj:
    api = Api(info)
    result: Obj = {"machine": machine(), "rows": [], "big": [], "rss_mib": {}}
    try:
        await api.reset_counts()
        await asyncio.sleep(args.settle)
        startup = split_counts(await api.operator_counts())
        result["startup"] = startup
        result["rss_mib"]["baseline"] = round(rss_mib(pid), 1)
        labels = list(KINDS) if args.kinds == "all" else args.kinds.split(",")
        for n in [int(x) for x in args.replicas.split(",")]:
            for label in labels:
                try:
                    row = await run_case(api, label, n, args.quiet, args.limit, args.one_by_one)
                except TimeoutError as exc:
                    print(f"{label} N={n}: {exc}", flush=True)
                    ns = f"w-{label}-{n}"
                    pods = await api.call("GET", f"/api/v1/namespaces/{ns}/pods")
                    for pod in pods.get("items") or []:
                        meta = pod["metadata"]
                        print(" ", meta["name"], meta.get("labels"), pod.get("status", {}).get("phase"))
                    continue
                result["rows"].append(row)
                print(
                    f"{label:16} N={n:<4} writes={row['writes']:<5} min={row['minimum']:<4} "
                    f"ratio={row['ratio']:<5} events={row['events']:<4} rest-reads={row['reads_at_rest']}",
                    flush=True,
                )
        result["rss_mib"]["after_cases"] = round(rss_mib(pid), 1)
        if args.jobs:
            seconds = await many_jobs(api, args.jobs, args.limit * 10)
            result["many_jobs"] = {"jobs": args.jobs, "seconds_to_all_children": round(seconds, 2)}
            result["rss_mib"][f"after_{args.jobs}_jobs"] = round(rss_mib(pid), 1)
            print(f"{args.jobs} jobs: children in {seconds:.1f}s; RSS {result['rss_mib']}", flush=True)
    finally:
        await api.close()
    return result


async def bench_big(info: Obj, replicas: int, qps: str, limit: float) -> Obj:
    api = Api(info, concurrency=CONCURRENCY)
    try:
        plain_before = await plain_creates(api, replicas)
        operator_seconds = await big_job(api, replicas, limit)
        plain_after = await plain_creates(api, replicas)
    finally:
        await api.close()
    plain = min(plain_before, plain_after)
    return {
        "replicas": replicas,
        "children": 2 * replicas,
        "kube_api_qps": qps,
        "operator_seconds": round(operator_seconds, 2),
        "plain_seconds": round(plain, 2),
        "plain_seconds_runs": [round(plain_before, 2), round(plain_after, 2)],
        "ratio": round(operator_seconds / plain, 2),
    }


def main(argv: list[str] | None = None) -> Obj:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="all", help=f"comma list of {','.join(KINDS)} or 'all'")
    parser.add_argument("--replicas", default="1,8,64")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds at rest to count reads")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds for the operator to start")
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--big", type=int, default=0, help="replicas of the big PyTorchJob (0: skip)")
    parser.add_argument("--big-qps", default="50,0", help="operator --kube-api-qps values for the big job")
    parser.add_argument("--jobs", type=int, default=0, help="one-worker jobs for the RSS figure (0: skip)")
    parser.add_argument(
        "--one-by-one", action="store_true", help="pods start and finish one after another, not together"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "operator_writes.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups: stop operator and cluster
    result: Obj = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-operator-") as tmp,
        cluster_process(Path(tmp) / "cluster") as info,
    ):
        asyncio.run(install_crds(info))
        with operator_process(info["kubeconfig"], Path(tmp) / "operator.log") as operator:
            time.sleep(1.0)
            if operator.poll() is not None:
                sys.exit(f"the operator exited:\n{(Path(tmp) / 'operator.log').read_text()[-3000:]}")
            result = asyncio.run(bench(info, operator.pid, args))
        result["big"] = []
        for qps in [q for q in args.big_qps.split(",") if q] if args.big else []:
            with operator_process(
                info["kubeconfig"], Path(tmp) / f"operator-{qps}.log", "--kube-api-qps", qps
            ) as operator:
                time.sleep(args.settle)
                big = asyncio.run(bench_big(info, args.big, qps, args.limit * 5))
                big["operator_rss_mib"] = round(rss_mib(operator.pid), 1)
                result["big"].append(big)
                print(f"big job qps={qps}: {big}", flush=True)
    print()
    print(table(result["rows"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=_default))
    print(f"\nwritten to {args.out}")
    return result


def _default(value: Any) -> Any:
    if isinstance(value, collections.Counter):
        return dict(value)
    raise TypeError(type(value))


if __name__ == "__main__":
    main(sys.argv[1:])
