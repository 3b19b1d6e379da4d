"""Benchmark an API server: pod creates/s and the server's CPU per write, watch fan-out (and its CPU per
delivered event), memory for 10,000 stored pods.

By default the local cluster runs as a daemon process (as `training-operator local` runs it) in a temporary
state dir with loopback networking; this process is the client, and the server's CPU is its process's own
user+system time, so other work on the machine does not change it. With `--kubeconfig` the same requests go
to that cluster instead, in a namespace of its own (`--namespace-prefix` + "api", deleted afterwards); its
server's process is not ours to measure, so only the rates are reported. Pods are pre-bound to a node that
does not exist, so neither a scheduler nor a kubelet touches them and the figures are the API server's own.
Every loop is bounded.

    python bench/local_cluster_api.py [--pods 10000] [--watchers 50] [--events 500] [--concurrency 32]
                                      [--kubeconfig FILE] [--namespace-prefix bench-]
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from training_operator.core import access
from training_operator.local import daemon
from training_operator.local.__about__ import __version__

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float:
    """A process's user+system CPU seconds (0 when there is no process of ours to read)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stored_pods(state: Path) -> tuple[int, int]:
    """Bytes of the store's journal and the number of pods it holds (read only: the server is running)."""
    journal = state / "journal.jsonl"
    pods: set[tuple[str, str]] = set()
    with open(journal, "rb") as file:
        for line in file:
            if not line.endswith(b"\n"):
                break
            entry = json.loads(line)
            if entry[0] in ("put", "delete") and entry[1] == "/pods":
                (pods.add if entry[0] == "put" else pods.discard)((entry[2], entry[3]))
    return journal.stat().st_size, len(pods)


def a_pod(name: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {"bench": "yes", "index": name.rsplit("-", 1)[-1]}},
        "spec": {
            "nodeName": "bench-node",
            "containers": [
                {
                    "name": "main",
                    "image": "local",
                    "command": ["sleep", "1"],
                    "env": [{"name": "RANK", "value": "0"}],
                }
            ],
        },
    }


async def create_pods(
    session: aiohttp.ClientSession, url: str, count: int, concurrency: int, prefix: str
) -> float:
    """Seconds to create `count` pods in the namespace `url` ends with."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            async with session.post(f"{url}/pods", json=a_pod(f"{prefix}-{index}")) as r:
                assert r.status == 201, await r.text()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


async def watch_fan_out(
    session: aiohttp.ClientSession, url: str, watchers: int, events: int
) -> tuple[float, int]:
    async with session.get(f"{url}/configmaps") as r:
        rv = (await r.json())["metadata"]["resourceVersion"]
    received = [0] * watchers
    ready = asyncio.Event()
    opened = 0

    async def watch(slot: int) -> None:
        nonlocal opened
        params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"}
        async with session.get(f"{url}/configmaps", params=params) as response:
            opened += 1
            if opened == watchers:
                ready.set()
            async for _line in response.content:
                received[slot] += 1
                if received[slot] >= events:
                    return

    tasks = [asyncio.create_task(watch(i)) for i in range(watchers)]
    await asyncio.wait_for(ready.wait(), 60)
    start = time.perf_counter()
    for index in range(events):
        async with session.post(
            f"{url}/configmaps", json={"metadata": {"name": f"fan-{index}"}, "data": {"i": str(index)}}
        ) as r:
            assert r.status == 201
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    return time.perf_counter() - start, sum(received)


@contextlib.asynccontextmanager
async def server(
    args: argparse.Namespace,
) -> AsyncIterator[tuple[aiohttp.ClientSession, str, int | None, Path | None]]:
    """(session, namespace URL, server pid or None, state dir or None) of a fresh local cluster, or of the
    `--kubeconfig` cluster; the namespace (or the whole local cluster) is removed afterwards."""
    state = None
    if args.kubeconfig:
        kubeconfig, namespace, pid = args.kubeconfig, f"{args.namespace_prefix}api", None
    else:
        state = Path(tempfile.mkdtemp(prefix="tol-bench-"))
        daemon.ensure_running(state, extra_args=("--network", "loopback", "--log-level", "WARNING"))
        found = daemon.is_running(state)
        assert found is not None
        kubeconfig, namespace, pid = str(state / "kubeconfig"), "default", found.pid
    credentials = access.load(kubeconfig, context=args.context)
    context = credentials.ssl_context()
    connector = aiohttp.TCPConnector(ssl=context if context is not None else False, limit=0)
    session = aiohttp.ClientSession(connector=connector, headers=credentials.headers())
    try:
        if args.kubeconfig:
            body = {"metadata": {"name": namespace}}
            async with session.post(f"{credentials.server}/api/v1/namespaces", json=body) as r:
                assert r.status == 201, await r.text()
        yield session, f"{credentials.server}/api/v1/namespaces/{namespace}", pid, state
    finally:
        if args.kubeconfig:
            pods = f"{credentials.server}/api/v1/namespaces/{namespace}/pods"
            async with session.delete(pods, params={"gracePeriodSeconds": "0"}):
                pass
            async with session.delete(f"{credentials.server}/api/v1/namespaces/{namespace}"):
                pass
        await session.close()
        if state is not None:
            daemon.stop(state)
            shutil.rmtree(state, ignore_errors=True)  # its SQLite file holds every pod created


async def run(args: argparse.Namespace) -> dict:
    results: dict = {
        "version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    async with server(args) as (session, url, pid, state):
        rss_start = rss_kib(pid) if pid else 0
        warm = await create_pods(session, url, 200, args.concurrency, "warm")
        before = cpu_seconds(pid)
        seconds = await create_pods(session, url, args.creates, args.concurrency, "create")
        used = cpu_seconds(pid) - before
        results["pod_creates"] = {
            "count": args.creates,
            "concurrency": args.concurrency,
            "seconds": round(seconds, 3),
            "per_second": round(args.creates / seconds, 1),
            "warmup_seconds": round(warm, 3),
            "server_cpu_ms_per_create": round(1000 * used / args.creates, 3) if pid else None,
        }
        remaining = args.pods - args.creates - 200
        if remaining > 0:
            await create_pods(session, url, remaining, args.concurrency, "fill")
        start = time.perf_counter()
        async with session.get(f"{url}/pods", params={"labelSelector": "bench=yes"}) as r:
            listed = len((await r.json())["items"])
        list_seconds = time.perf_counter() - start
        if pid is not None and state is not None:
            rss_full = rss_kib(pid)
            db_bytes, stored = stored_pods(state)
            results["memory"] = {
                "stored_pods": stored,
                "rss_start_mib": round(rss_start / 1024, 1),
                "rss_with_pods_mib": round(rss_full / 1024, 1),
                "kib_per_pod": round((rss_full - rss_start) / max(stored, 1), 2),
                "journal_mib": round(db_bytes / 2**20, 1),
            }
        results["list"] = {"list_all_seconds": round(list_seconds, 3), "listed": listed}
        before = cpu_seconds(pid)
        fan_seconds, delivered = await watch_fan_out(session, url, args.watchers, args.events)
        used = cpu_seconds(pid) - before
        results["watch_fan_out"] = {
            "watchers": args.watchers,
            "events": args.events,
            "delivered": delivered,
            "seconds": round(fan_seconds, 3),
            "deliveries_per_second": round(delivered / fan_seconds, 1),
            "server_cpu_ms_per_write": round(1000 * used / args.events, 3) if pid else None,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=10_000, help="pods stored for the memory figure")
    parser.add_argument("--creates", type=int, default=2_000, help="pods timed for creates/s")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--watchers", type=int, default=50)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--kubeconfig", help="measure this existing cluster's API server instead")
    parser.add_argument("--context", help="kubeconfig context (default: the current one)")
    parser.add_argument("--namespace-prefix", default="bench-", help="prefix of the namespace created")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "local_cluster_api.json"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    creates, fan = results["pod_creates"], results["watch_fan_out"]
    rows = [
        (
            "pod creates/s",
            f"{creates['per_second']}",
            f"{args.creates} creates, {args.concurrency} concurrent",
        ),
        (
            "server CPU ms per create",
            f"{creates['server_cpu_ms_per_create']}",
            "server user+system / creates",
        ),
        (
            "watch deliveries/s",
            f"{fan['deliveries_per_second']}",
            f"{args.watchers} watchers x {args.events}",
        ),
        (
            "server CPU ms per write",
            f"{fan['server_cpu_ms_per_write']}",
            f"with {args.watchers} watchers each",
        ),
        ("list all pods (s)", f"{results['list']['list_all_seconds']}", f"{results['list']['listed']} items"),
    ]
    if "memory" in results:
        memory = results["memory"]
        rows += [
            ("RSS with pods (MiB)", f"{memory['rss_with_pods_mib']}", f"{memory['stored_pods']} pods"),
            ("KiB per stored pod", f"{memory['kib_per_pod']}", "RSS delta / pods"),
            ("journal size (MiB)", f"{memory['journal_mib']}", "journal.jsonl"),
        ]
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':>10}  notes")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>10}  {note}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
