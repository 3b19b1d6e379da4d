"""How many API writes the operator spends on a job's other paths, against the minimum: a retryable pod
failure and its restart, a suspend and the resume after it, and the job's deletion.

One PyTorchJob of N workers (`--replicas`, restartPolicy ExitCode), its pods played by a simulated kubelet:

* restart: all Running; worker 0 exits with 137 (retryable). Minimum 5: delete the pod and the status
  write saying Restarting (failed 1, active N−1); create it again and the status write saying Running with
  the failed pod gone (active N−1 while the new one starts); active N once it runs. Each is a change of
  the job's visible status, written as Kubeflow's operator writes it. Counted until every pod runs again.
* suspend: `spec.runPolicy.suspend: true`. Minimum 2N+1: every pod and service deleted, one status write
  (Suspended, Running false). The kubelet finishes the graceful deletions.
* resume: `suspend: false`. Minimum 2N+2: every pod and service created, the Resumed status write, Running
  once the pods run.
* delete: the job deleted; its children go by their owner references. Minimum 0.

Writes are the operator's own (its /metrics) create/update/patch/delete on every resource but events, events
apart, between the moment the bench acts and the moment the job shows the outcome (plus one second for
trailing writes). Runs on a fresh local cluster or, with `--kubeconfig`, on any cluster. Nothing here asserts
on time; the figures are printed and written to bench/results/operator_paths.json.

    python bench/operator_paths.py [--replicas 8] [--kubeconfig FILE] [--namespace-prefix bench-]
"""

import argparse
import asyncio
import json
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import operator_harness as harness
from operator_writes import _run, job_path, replica

RESULTS = Path(__file__).resolve().parent / "results"
NAME = "paths"


def minimum(path: str, n: int) -> int:
    return {"restart": 5, "suspend": 2 * n + 1, "resume": 2 * n + 2, "delete": 0}[path]


class Paths:
    """The job, its kubelet, and the operator's writes between two moments."""

    def __init__(self, api: harness.Api, ns: str, port: int, n: int, limit: float) -> None:
        self.api, self.ns, self.port, self.n, self.limit = api, ns, port, n, limit
        self.sim = harness.Simulator(api, ns)
        self.rows: list[harness.Obj] = []

    async def job(self) -> harness.Obj:
        return await self.api.call("GET", job_path("PyTorchJob", self.ns, NAME))

    async def pods(self, *, live: bool = True) -> list[harness.Obj]:
        found = await self.sim.pods(f"{harness.JOB_NAME_LABEL}={NAME}")
        return [p for p in found if not (live and p["metadata"].get("deletionTimestamp"))]

    async def until(self, check: Callable[[], Awaitable[Any]]) -> Any:
        return await harness.wait_for(check, self.limit)

    async def measured(self, path: str, act: Callable[[], Awaitable[None]]) -> None:
        before = await harness.scrape(self.port)
        await act()
        await asyncio.sleep(1.0)  # trailing writes land in the counters
        life = harness.split_counts(
            harness.requests(await harness.scrape(self.port)) - harness.requests(before)
        )
        writes = sum(life["writes"].values())
        low = minimum(path, self.n)
        row = {
            "path": path,
            "replicas": self.n,
            "writes": writes,
            "minimum": low,
            "extra": writes - low,
            "events": life["events"],
            "reads": sum(life["reads"].values()),
            "write_detail": life["writes"],
        }
        self.rows.append(row)
        shown = f"{path:8} N={self.n:<3} writes={writes:<4} minimum={low:<4} events={row['events']}"
        print(shown, flush=True)

    async def all_running(self) -> None:
        pods = await self.until(lambda: self._exactly_n())
        await self.sim.set_phase(pods, "Running")
        await self.until(self._running)

    async def _exactly_n(self) -> list[harness.Obj]:
        pods = await self.pods()
        return pods if len(pods) == self.n else []

    async def _running(self) -> bool:
        job = await self.job()
        return harness.condition(job, "Running") and not harness.condition(job, "Restarting")

    async def restart(self) -> None:
        first = next(p for p in await self.pods() if p["metadata"]["name"].endswith("-worker-0"))
        await self.sim.set_phase([first], "Failed", code=137)

        async def replaced() -> list[harness.Obj]:
            pods = await self.pods()
            fresh = [p for p in pods if p["metadata"]["name"] == first["metadata"]["name"]]
            return fresh if fresh and fresh[0]["metadata"]["uid"] != first["metadata"]["uid"] else []

        await self.sim.set_phase(await self.until(replaced), "Running")
        await self.until(self._running)

    async def suspend(self) -> None:
        await self._suspended(True)

        async def stopped() -> bool:
            pods = await self.pods(live=False)
            await self.sim.finish_deletions(pods)
            return not pods and harness.condition(await self.job(), "Suspended")

        await self.until(stopped)

    async def resume(self) -> None:
        await self._suspended(False)
        await self.all_running()

    async def _suspended(self, value: bool) -> None:
        await self.api.call(
            "PATCH",
            job_path("PyTorchJob", self.ns, NAME),
            {"spec": {"runPolicy": {"suspend": value}}},
            ctype="application/merge-patch+json",
        )

    async def delete(self) -> None:
        await self.api.call("DELETE", job_path("PyTorchJob", self.ns, NAME))

        async def gone() -> bool:
            items = (await self.api.call("GET", job_path("PyTorchJob", self.ns)))["items"]
            return not any(j["metadata"]["name"] == NAME for j in items)

        await self.until(gone)


async def bench(
    api: harness.Api, ns: str, _pid: int, port: int, args: argparse.Namespace
) -> list[harness.Obj]:
    paths = Paths(api, ns, port, args.replicas, args.limit)
    manifest = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": NAME, "namespace": ns},
        "spec": {"pytorchReplicaSpecs": {"Worker": replica(args.replicas, "pytorch", "ExitCode")}},
    }
    await api.call("POST", job_path("PyTorchJob", ns), manifest)
    await paths.all_running()
    await paths.measured("restart", paths.restart)
    await paths.measured("suspend", paths.suspend)
    await paths.measured("resume", paths.resume)
    await paths.measured("delete", paths.delete)
    return paths.rows


def table(rows: list[harness.Obj]) -> str:
    lines = ["| path | N | writes | minimum | events | reads |", "|---|---|---|---|---|---|"]
    lines.extend(
        f"| {r['path']} | {r['replicas']} | {r['writes']} | {r['minimum']} | {r['events']} | {r['reads']} |"
        for r in rows
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[harness.Obj]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=8)
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--out", type=Path, default=RESULTS / "operator_paths.json")
    harness.add_cluster_arguments(parser)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-ups: stop operator and cluster
    with (
        tempfile.TemporaryDirectory(prefix="paths-") as tmp,
        harness.target_cluster(args, Path(tmp), "c") as info,
    ):
        rows: list[harness.Obj] = _run(info, Path(tmp), "paths", bench, args)
    print(f"\n{table(rows)}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))
    print(f"\nwritten to {args.out}")
    return rows


if __name__ == "__main__":
    main()
