"""How often each integration and fault test fails when nothing changes: run the suites N times, count.

A flaky test is a bug (a race in the code or in the test); this finds them. Each round is one pytest run of
the given paths with a JUnit report; the script prints one line per test that failed at least once (and the
totals), and writes bench/results/flake_rate.json after every round (readable while it runs). A failing
round's whole pytest output is kept as bench/results/flake_round_N.log, so a race can be read without
re-running.

Run: hatch run python bench/flake_rate.py --rounds 20
     hatch run python bench/flake_rate.py --rounds 5 --budget 3600 tests/faults -k sigkill
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "flake_rate.json"
SUITES = ("tests/integration", "tests/faults")


def one_round(paths: list[str], extra: list[str], report: Path, *, memory_mb: int) -> dict[str, str]:
    """test id → "passed" | "failed: …" | "error: …" | "skipped". A run that outgrows `memory_mb` is stopped
    and the test it was in is reported (a leak or a hot loop is a bug too)."""
    command = [sys.executable, "-m", "pytest", "-v", "-p", "no:randomly", f"--junitxml={report}"]
    log = report.with_suffix(".log")
    with log.open("w") as out:
        process = subprocess.Popen([*command, *extra, *paths], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        peak = _watch(process, memory_mb)
    outcomes: dict[str, str] = {}
    if peak > memory_mb:
        running = [line.split(" ")[0] for line in log.read_text().splitlines() if "::" in line]
        return {running[-1] if running else "<the run itself>": f"error: stopped at {peak} MB of memory"}
    if not report.exists():
        return {"<the run itself>": "error: no report"}
    for case in ElementTree.parse(report).iter("testcase"):
        test_id = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = child.tag + ": " + (child.get("message") or "").splitlines()[0][:200]
            elif child.tag == "skipped":
                outcome = "skipped"
        outcomes[test_id] = outcome
    return outcomes


def _watch(process: subprocess.Popen[bytes], limit_mb: int) -> int:
    """Wait for the run; stop it once its memory passes the limit. Its peak resident size in MB."""
    peak = 0
    while process.poll() is None:
        peak = max(peak, _rss_mb(process.pid))
        if peak > limit_mb:
            process.kill()
            process.wait()
            break
        time.sleep(2)  # a sampling period, not a wait for something to happen
    return peak


def _rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=list(SUITES), help="test paths (default: both suites)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--budget", type=float, default=0.0, help="stop starting rounds after this many seconds"
    )
    parser.add_argument("-k", dest="keyword", help="pytest -k expression")
    parser.add_argument("--memory-mb", type=int, default=4000, help="stop a run that grows past this")
    args = parser.parse_args()
    extra = ["-k", args.keyword] if args.keyword else []
    runs: collections.Counter[str] = collections.Counter()
    failures: dict[str, list[str]] = collections.defaultdict(list)
    started = time.monotonic()
    rounds = 0
    for number in range(1, args.rounds + 1):
        if args.budget and time.monotonic() - started > args.budget:
            break
        begun = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="flake-") as tmp:
            report = Path(tmp) / "report.xml"
            outcomes = one_round(args.paths, extra, report, memory_mb=args.memory_mb)
            failed = [test for test, outcome in outcomes.items() if outcome not in ("passed", "skipped")]
            kept = RESULTS.with_name(f"flake_round_{number}.log")
            if failed:  # the whole output of a failing round, to read the race without re-running it
                RESULTS.parent.mkdir(exist_ok=True)
                kept.write_bytes(report.with_suffix(".log").read_bytes())
        rounds += 1
        for test_id, outcome in outcomes.items():
            if outcome != "skipped":
                runs[test_id] += 1
            if test_id in failed:
                failures[test_id].append(f"round {number}: {outcome}")
        print(
            f"round {number}: {len(outcomes)} tests, {len(failed)} failed, {time.monotonic() - begun:.0f}s",
            flush=True,
        )
        for test_id in failed:
            print(f"    {test_id}: {outcomes[test_id]} (output kept in {kept})", flush=True)
        _write(rounds, args.paths, runs, failures, time.monotonic() - started)  # readable while it runs
    failed_runs = sum(len(f) for f in failures.values())
    print(f"\n{rounds} rounds, {sum(runs.values())} test runs, {failed_runs} failures")
    for test_id in sorted(failures, key=lambda t: -len(failures[t])):
        rate = len(failures[test_id]) / runs[test_id]
        print(f"{rate:6.1%}  {len(failures[test_id])}/{runs[test_id]}  {test_id}")
        for line in failures[test_id][:3]:
            print(f"          {line}")
    return 1 if failures else 0


def _write(
    rounds: int, paths: list[str], runs: Mapping[str, int], failures: Mapping[str, list[str]], seconds: float
) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    summary = {
        "rounds": rounds,
        "paths": paths,
        "runs": dict(runs),
        "failures": dict(failures),
        "seconds": round(seconds),
    }
    RESULTS.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
