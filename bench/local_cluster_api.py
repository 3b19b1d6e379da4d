"""Benchmark the local cluster's API server: pod creates/s, watch fan-out, memory for 10,000 stored pods.

The cluster runs as a daemon process (as `training-operator local` runs it) in a temporary state dir with
loopback networking; this process is the client. Pods are pre-bound to a node that does not exist, so neither
the scheduler nor the kubelet touches them and the figures are the API server's own. Loopback only; every
loop is bounded.

    python bench/local_cluster_api.py [--pods 10000] [--watchers 50] [--events 500] [--concurrency 32]
"""

import argparse
import asyncio
import contextlib
import json
import platform
import sqlite3
import ssl
import tempfile
import time
from pathlib import Path

import aiohttp

from training_operator.local import daemon
from training_operator.local.__about__ import __version__


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def stored_pods(state: Path) -> tuple[int, int]:
    """Bytes of the SQLite files and the number of pods in them."""
    db_bytes = sum(p.stat().st_size for p in state.glob("cluster.db*"))
    with contextlib.closing(sqlite3.connect(state / "cluster.db")) as db:
        return db_bytes, int(db.execute("SELECT count(*) FROM objects WHERE resource='/pods'").fetchone()[0])


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
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            async with session.post(
                f"{url}/api/v1/namespaces/default/pods", json=a_pod(f"{prefix}-{index}")
            ) as r:
                assert r.status == 201, await r.text()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


async def watch_fan_out(
    session: aiohttp.ClientSession, url: str, watchers: int, events: int
) -> tuple[float, int]:
    async with session.get(f"{url}/api/v1/namespaces/default/configmaps") as r:
        rv = (await r.json())["metadata"]["resourceVersion"]
    received = [0] * watchers
    ready = asyncio.Event()
    opened = 0

    async def watch(slot: int) -> None:
        nonlocal opened
        params = {"watch": "true", "resourceVersion": rv, "timeoutSeconds": "120"}
        async with session.get(f"{url}/api/v1/namespaces/default/configmaps", params=params) as response:
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
            f"{url}/api/v1/namespaces/default/configmaps",
            json={"metadata": {"name": f"fan-{index}"}, "data": {"i": str(index)}},
        ) as r:
            assert r.status == 201
    await asyncio.wait_for(asyncio.gather(*tasks), 300)
    return time.perf_counter() - start, sum(received)


async def run(args: argparse.Namespace) -> dict:
    state = Path(tempfile.mkdtemp(prefix="tol-bench-"))
    daemon.ensure_running(state, extra_args=("--network", "loopback", "--log-level", "WARNING"))
    found = daemon.is_running(state)
    assert found is not None
    token = (state / "token").read_text().strip()
    context = ssl.create_default_context(cafile=str(state / "ca.crt"))
    results: dict = {
        "version": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    try:
        connector = aiohttp.TCPConnector(ssl=context, limit=0)
        async with aiohttp.ClientSession(
            connector=connector, headers={"Authorization": f"Bearer {token}"}
        ) as session:
            rss_start = rss_kib(found.pid)
            warm = await create_pods(session, found.url, 200, args.concurrency, "warm")
            seconds = await create_pods(session, found.url, args.creates, args.concurrency, "create")
            results["pod_creates"] = {
                "count": args.creates,
                "concurrency": args.concurrency,
                "seconds": round(seconds, 3),
                "per_second": round(args.creates / seconds, 1),
                "warmup_seconds": round(warm, 3),
            }
            remaining = args.pods - args.creates - 200
            if remaining > 0:
                await create_pods(session, found.url, remaining, args.concurrency, "fill")
            rss_full = rss_kib(found.pid)
            start = time.perf_counter()
            async with session.get(
                f"{found.url}/api/v1/namespaces/default/pods", params={"labelSelector": "bench=yes"}
            ) as r:
                listed = len((await r.json())["items"])
            list_seconds = time.perf_counter() - start
            db_bytes, stored = stored_pods(state)
            results["memory"] = {
                "stored_pods": stored,
                "rss_start_mib": round(rss_start / 1024, 1),
                "rss_with_pods_mib": round(rss_full / 1024, 1),
                "kib_per_pod": round((rss_full - rss_start) / max(stored, 1), 2),
                "sqlite_mib": round(db_bytes / 2**20, 1),
                "list_all_seconds": round(list_seconds, 3),
                "listed": listed,
            }
            fan_seconds, delivered = await watch_fan_out(session, found.url, args.watchers, args.events)
            results["watch_fan_out"] = {
                "watchers": args.watchers,
                "events": args.events,
                "delivered": delivered,
                "seconds": round(fan_seconds, 3),
                "deliveries_per_second": round(delivered / fan_seconds, 1),
            }
    finally:
        daemon.stop(state)
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
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent / "results" / "local_cluster_api.json"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args))
    rows = [
        (
            "pod creates/s",
            f"{results['pod_creates']['per_second']}",
            f"{args.creates} creates, {args.concurrency} concurrent",
        ),
        (
            "watch deliveries/s",
            f"{results['watch_fan_out']['deliveries_per_second']}",
            f"{args.watchers} watchers x {args.events} events",
        ),
        (
            "RSS with pods (MiB)",
            f"{results['memory']['rss_with_pods_mib']}",
            f"{results['memory']['stored_pods']} pods, start {results['memory']['rss_start_mib']} MiB",
        ),
        ("KiB per stored pod", f"{results['memory']['kib_per_pod']}", "RSS delta / pods"),
        ("SQLite size (MiB)", f"{results['memory']['sqlite_mib']}", "cluster.db + WAL"),
        (
            "list all pods (s)",
            f"{results['memory']['list_all_seconds']}",
            f"{results['memory']['listed']} items",
        ),
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
