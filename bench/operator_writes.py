"""How many API writes the operator spends per job, against the minimum; reads at rest; RSS per 1,000 jobs.

For each kind and replica count N the script creates the job, waits for all its pods, patches them all
Running (as a kubelet would), waits for the job's Running condition, patches them all Succeeded and waits for
the job's Succeeded condition; then it reads the operator's own request counts (its /metrics) and reports its
writes (create/update/patch/delete on every resource but events; events apart) divided by the minimum: 2N+3
for the v1 kinds (N pods, N services, Created/Running/Succeeded status writes) and N+8 for MPIJob (mpi.md
§8/§18: Service, ConfigMap, Secret, N workers, launcher Job, three status writes, and the discover_hosts.sh
rewrite once the workers run). Then, with nothing happening, it counts the operator's GET/LIST for `--quiet`
seconds (the target is 0), and its reconciles, so reads per reconcile is a figure of its own.

Runs on a fresh local cluster, or on any cluster with `--kubeconfig` (operator_harness.py says what it
creates there and removes afterwards). Nothing here asserts on time; the figures are printed and written to
bench/results/.

    python bench/operator_writes.py [--kinds all] [--replicas 1,8,64] [--jobs 0] [--one-by-one]
                                    [--kubeconfig FILE] [--namespace-prefix bench-]
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
    add_cluster_arguments,
    condition,
    machine,
    operator_requests,
    pinned,
    requests,
    rss_mib,
    running_operator,
    scrape,
    split_counts,
    summed,
    target_cluster,
    wait_for,
)

RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCY = 32  # the operator's ApiClient default bound on concurrent requests
ROLE = "training.kubeflow.org/job-role"  # MPIJob pods: launcher or worker


def container(name: str) -> Obj:
    return {"name": name, "image": "local", "command": ["true"]}


def replica(count: int, name: str, restart: str = "Never") -> Obj:
    template = pinned({"spec": {"containers": [container(name)]}})
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
    # Kubeflow's rule: only a Scheduler (or the lone Worker of a one-replica job) decides success
    if n == 1:
        specs = {"Worker": replica(n, "mxnet")}
    elif n == 2:
        specs = {"Scheduler": replica(1, "mxnet"), "Worker": replica(1, "mxnet")}
    else:
        specs = {
            "Scheduler": replica(1, "mxnet"),
            "Server": replica(1, "mxnet"),
            "Worker": replica(n - 2, "mxnet"),
        }
    return {"kind": "MXJob", "spec": {"jobMode": "MXTrain", "mxReplicaSpecs": specs}}


def paddle(n: int) -> Obj:
    # collective mode (Workers only): every Worker decides, as the examples run it
    return {"kind": "PaddleJob", "spec": {"paddleReplicaSpecs": {"Worker": replica(n, "paddle")}}}


def jax(n: int) -> Obj:
    return {"kind": "JAXJob", "spec": {"jaxReplicaSpecs": {"Worker": replica(n, "jax")}}}


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
    "paddle": paddle,
    "jax": jax,
    "mpijob": mpi,
}
PLURALS = {
    "PyTorchJob": "pytorchjobs",
    "TFJob": "tfjobs",
    "XGBoostJob": "xgboostjobs",
    "MXJob": "mxjobs",
    "PaddleJob": "paddlejobs",
    "JAXJob": "jaxjobs",
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


RECONCILES = "training_operator_reconcile_duration_seconds_count"


async def run_case(
    api: Api, ns: str, port: int, label: str, n: int, *, quiet: float, limit: float, one_by_one: bool = False
) -> Obj:
    """One job through its life; the operator's requests for it; reads while at rest.

    `one_by_one`: the simulated kubelet starts and finishes pods one after another (each patch waits for
    the previous answer) instead of all together, as a real node spreads them; the operator then sees
    intermediate replica counts, and its coalescing decides how many status writes they cost."""
    body = KINDS[label](n)
    kind = body["kind"]
    name = f"{label}-{n}"
    sim = Simulator(api, ns)
    start = await scrape(port)
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
    middle = await scrape(port)
    life = split_counts(requests(middle) - requests(start))
    await asyncio.sleep(quiet)
    end = await scrape(port)
    rest = split_counts(requests(end) - requests(middle))
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
        "reconciles_during_life": int(summed(middle, RECONCILES) - summed(start, RECONCILES)),
        "reads_at_rest": sum(rest["reads"].values()),
        "reconciles_at_rest": int(summed(end, RECONCILES) - summed(middle, RECONCILES)),
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


async def many_jobs(api: Api, ns: str, port: int, count: int, limit: float) -> float:
    """`count` one-worker PyTorchJobs created at once; seconds until the operator made all their children."""
    before = await operator_requests(port)
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
        return children_created(await operator_requests(port) - before) >= 2 * count

    await wait_for(done, limit, interval=0.5)
    return time.perf_counter() - started


def children_created(counts: collections.Counter[str]) -> int:
    """Pods and services the operator created (every outcome: a 409 is a create too)."""
    return counts.get("create pods", 0) + counts.get("create services", 0)


def table(rows: list[Obj]) -> str:
    head = "| case | kind | N | writes | minimum | ratio | events | reads / reconciles | reads at rest |"
    lines = [head, "|" + "---|" * 9]
    lines.extend(
        f"| {r['case']} | {r['kind']} | {r['replicas']} | {r['writes']} | {r['minimum']} | {r['ratio']} "
        f"| {r['events']} | {r['reads_during_life']} / {r['reconciles_during_life']} "
        f"| {r['reads_at_rest']} in {r['quiet_seconds']:g}s |"
        for r in rows
    )
    return "\n".join(lines)


async def bench(api: Api, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    result: Obj = {"machine": machine(), "rows": [], "rss_mib": {}}
    await asyncio.sleep(args.settle)
    result["rss_mib"]["baseline"] = round(rss_mib(pid), 1)
    labels = list(KINDS) if args.kinds == "all" else args.kinds.split(",")
    for n in [int(x) for x in args.replicas.split(",")]:
        for label in labels:
            try:
                row = await run_case(
                    api, ns, port, label, n, quiet=args.quiet, limit=args.limit, one_by_one=args.one_by_one
                )
            except TimeoutError as exc:
                print(f"{label} N={n}: {exc}", flush=True)
                continue
            result["rows"].append(row)
            print(
                f"{label:16} N={n:<4} writes={row['writes']:<5} min={row['minimum']:<4} "
                f"ratio={row['ratio']:<5} events={row['events']:<4} rest-reads={row['reads_at_rest']}",
                flush=True,
            )
    result["rss_mib"]["after_cases"] = round(rss_mib(pid), 1)
    return result


async def bench_many(api: Api, ns: str, pid: int, port: int, args: argparse.Namespace) -> Obj:
    seconds = await many_jobs(api, ns, port, args.jobs, args.limit * 10)
    rss = round(rss_mib(pid), 1)
    print(f"{args.jobs} jobs: children in {seconds:.1f}s; RSS {rss} MiB", flush=True)
    return {"jobs": args.jobs, "seconds_to_all_children": round(seconds, 2), "rss_mib": rss}


async def _namespace(info: Obj, name: str) -> str:
    api = Api(info)
    try:
        return await api.namespace(name)
    finally:
        await api.close()


def _run(info: Obj, tmp: Path, name: str, work: Any, args: argparse.Namespace) -> Obj:
    """An operator watching a fresh namespace, and `work(api, ns, pid, port, args)` against it."""
    ns = asyncio.run(_namespace(info, name))
    with running_operator(info, tmp / f"{name}.log", ns) as (operator, ports):

        async def go() -> Obj:
            api = Api(info)
            try:
                return await work(api, ns, operator.pid, ports["metrics"], args)  # type: ignore[no-any-return]
            finally:
                await api.close()

        return asyncio.run(go())


def main(argv: list[str] | None = None) -> Obj:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="all", help=f"comma list of {','.join(KINDS)} or 'all'")
    parser.add_argument("--replicas", default="1,8,64")
    parser.add_argument("--quiet", type=float, default=5.0, help="seconds at rest to count reads")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds for the operator to start")
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--jobs", type=int, default=0, help="one-worker jobs for the RSS figure (0: skip)")
    parser.add_argument(
        "--one-by-one", action="store_true", help="pods start and finish one after another, not together"
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "operator_writes.json")
    add_cluster_arguments(parser)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups: stop operator and cluster
    with (
        tempfile.TemporaryDirectory(prefix="bench-operator-") as tmp,
        target_cluster(args, Path(tmp), "cluster") as info,
    ):
        result = _run(info, Path(tmp), "writes", bench, args)
        if args.jobs:  # a fresh operator and namespace: the jobs must not meet the cases' leftovers
            result["many_jobs"] = _run(info, Path(tmp), "many", bench_many, args)
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
