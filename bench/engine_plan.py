"""Benchmark: the pure engine's plan for a 1,000-replica job four times over: the first plan of a new job
(2,000 creates, on the critical path of the job's start), a plan while it starts (every other child made, as
the reconciles the creates' watch events ask for see it), the steady-state plan once every child exists, and
the clean-up of the finished job (cleanPodPolicy All: 2,000 deletes).

Prints a table (ms per plan, median and p95) and writes JSON (default bench/results/engine_plan.json). No
cluster: the engine reads no API. Run: hatch run python bench/engine_plan.py [--replicas N] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import TestFramework, a_job, pods_of, services_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
RUNNING = {
    "conditions": [
        {"type": "Created", "status": "True", "reason": "TestJobCreated"},
        {"type": "Running", "status": "True", "reason": "TestJobRunning"},
    ],
    "startTime": "2024-05-01T09:00:00Z",
}


def _timed(plan: Callable[[], Any], runs: int) -> dict[str, Any]:
    writes = plan().writes
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        plan()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * (runs - 1))], 2),
        "min_ms": round(timings[0], 2),
        "writes": writes,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=1000, help="workers + 1 chief")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "engine_plan.json")
    args = parser.parse_args(argv)
    replicas = {"Worker": args.replicas - 1, "Chief": 1}
    framework, options = TestFramework(), EngineOptions()

    new = framework.parse(a_job(replicas=replicas, run_policy={"backoffLimit": 5}))
    status = {**RUNNING, "replicaStatuses": {"Worker": {"active": args.replicas - 1}, "Chief": {"active": 1}}}
    running = framework.parse(a_job(replicas=replicas, status=status, run_policy={"backoffLimit": 5}))
    succeeded = {
        **RUNNING,
        "conditions": [*RUNNING["conditions"], {"type": "Succeeded", "status": "True", "reason": "Done"}],
        "completionTime": "2024-05-01T09:30:00Z",
    }
    finished = framework.parse(
        a_job(replicas=replicas, status=succeeded, run_policy={"backoffLimit": 5, "cleanPodPolicy": "All"})
    )
    pods, services = pods_of("job-a", replicas), services_of("job-a", replicas)
    children = Snapshot(pods=tuple(pods), services=tuple(services))
    half = Snapshot(pods=tuple(pods[::2]), services=tuple(services[::2]))

    rows = {
        "first plan (every child to create)": _timed(
            lambda: planner.plan(new, framework, Snapshot(), now=NOW, options=options), args.runs
        ),
        "mid-start (every other child exists)": _timed(
            lambda: planner.plan(new, framework, half, now=NOW, options=options), args.runs
        ),
        "steady state (every child exists)": _timed(
            lambda: planner.plan(running, framework, children, now=NOW, options=options), args.runs
        ),
        "clean-up (finished, cleanPodPolicy All)": _timed(
            lambda: planner.plan(finished, framework, children, now=NOW, options=options), args.runs
        ),
    }
    print(f"{args.replicas} replicas, {args.runs} runs each")
    print(f"{'plan':<38} {'median ms':>10} {'p95 ms':>8} {'min ms':>8} {'writes':>7}")
    for name, row in rows.items():
        print(f"{name:<38} {row['median_ms']:>10} {row['p95_ms']:>8} {row['min_ms']:>8} {row['writes']:>7}")
    result = {"replicas": args.replicas, "runs": args.runs, "plans": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
