"""Benchmark: plan a 1,000-replica job whose children all exist (the steady-state reconcile).

Prints a table (ms per plan, median and p95) and writes bench/results/engine_plan.json. Target: well under
50 ms per plan. Run: .venv/bin/python bench/engine_plan.py
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import TestFramework, a_job, pods_of, services_of

REPLICAS = {"Worker": 999, "Chief": 1}
RUNS = 50
NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def main() -> None:
    framework = TestFramework()
    status = {
        "conditions": [
            {"type": "Created", "status": "True", "reason": "TestJobCreated"},
            {"type": "Running", "status": "True", "reason": "TestJobRunning"},
        ],
        "replicaStatuses": {"Worker": {"active": 999}, "Chief": {"active": 1}},
        "startTime": "2024-05-01T09:00:00Z",
    }
    job = framework.parse(a_job(replicas=REPLICAS, status=status, run_policy={"backoffLimit": 5}))
    pods, services = pods_of("job-a", REPLICAS), services_of("job-a", REPLICAS)
    snapshot = Snapshot(pods=tuple(pods), services=tuple(services))
    options = EngineOptions()
    plan = framework.plan(job, snapshot, now=NOW, options=options)
    writes = plan.writes
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        framework.plan(job, snapshot, now=NOW, options=options)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    result = {
        "replicas": sum(REPLICAS.values()),
        "runs": RUNS,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(timings[int(0.95 * (RUNS - 1))], 2),
        "min_ms": round(timings[0], 2),
        "writes_in_steady_state": writes,
    }
    print(f"{'replicas':>9} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'min ms':>8} {'writes':>7}")
    print(
        f"{result['replicas']:>9} {RUNS:>5} {result['median_ms']:>10} {result['p95_ms']:>8} "
        f"{result['min_ms']:>8} {writes:>7}"
    )
    out = Path(__file__).parent / "results" / "engine_plan.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
