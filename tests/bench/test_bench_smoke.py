"""The benchmark scripts still run, at tiny sizes: the writes benchmark yields a row with a numeric ratio for
one one-replica PyTorchJob; the paths benchmark a row for a restart, a suspend, a resume and a deletion, the
deletion costing the operator no write; the scale benchmark yields every figure (big-job ratio and CPU per
child, the mixed load's capacity, RSS, CPU per event and at rest, the restart, one load stage), and a restart
holding the jobs writes nothing; the engine benchmark times a first and a steady-state plan.

Smoke tests, not timed asserts: they check the scripts' output shape only. Select them with `-m bench`.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "operator_writes.py"


@pytest.mark.bench
def test_the_writes_benchmark_produces_a_ratio_for_one_replica(tmp_path: Path) -> None:
    out = tmp_path / "writes.json"
    command = [
        sys.executable,
        str(SCRIPT),
        "--kinds",
        "pytorch-workers",
        "--replicas",
        "1",
        "--quiet",
        "1",
        "--settle",
        "2",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 1
    row = rows[0]
    assert row["kind"] == "PyTorchJob"
    assert row["replicas"] == 1
    assert isinstance(row["ratio"], (int, float))
    assert row["ratio"] > 0


SCALE = SCRIPT.parent / "operator_scale.py"
PATHS = SCRIPT.parent / "operator_paths.py"


@pytest.mark.bench
def test_the_paths_benchmark_counts_a_restart_a_suspend_a_resume_and_a_deletion(tmp_path: Path) -> None:
    out = tmp_path / "paths.json"
    command = [sys.executable, str(PATHS), "--replicas", "2", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["path"]: row for row in json.loads(out.read_text())}
    assert list(rows) == ["restart", "suspend", "resume", "delete"]
    assert [rows[p]["minimum"] for p in rows] == [5, 5, 6, 0]
    assert all(row["writes"] >= row["minimum"] for row in rows.values())  # each path did its deletes/creates
    assert rows["delete"]["writes"] == 0  # the garbage collector removes the children, not the operator


@pytest.mark.bench
def test_the_scale_benchmark_produces_every_figure_at_a_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    command = [
        sys.executable,
        str(SCALE),
        "all",
        "--replicas=20",
        "--rounds=1",
        "--jobs=2",
        "--per-job=10",
        "--rates=1",
        "--stage-seconds=3",
        "--grace=20",
        "--settle=1",
        "--capacity-jobs=6",
        "--idle-seconds=1",
        f"--out={out}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    big = result["big"]["rounds"][0]
    assert big["ratio"] > 0
    assert big["cpu_ms_per_child"] > 0
    assert big["writes"] >= 40, big  # 20 pods, 20 services, counted by the operator itself
    capacity = result["capacity"]
    assert capacity["jobs"] == 6
    assert capacity["jobs_per_cpu_second"] > 0
    assert capacity["reads"] == 0, capacity
    pods = result["pods"]
    assert pods["owned_pods"] == 20
    assert pods["rss_mib_holding"] > 0
    assert pods["cpu"]["annotation"]["cpu_ms_per_event"] >= 0
    assert pods["idle"]["percent_of_a_core"] >= 0
    assert pods["restart"]["writes"] == 0, pods["restart"]
    assert set(pods["restart"]["reads"]) >= {"list pods", "list services", "list pytorchjobs"}
    stage = result["load"]["stages"][0]
    assert stage["jobs_with_all_pods"] == stage["jobs"], stage


@pytest.mark.bench
def test_the_startup_benchmark_reports_every_figure() -> None:
    script = SCRIPT.parent / "cli_startup.py"
    done = subprocess.run(
        [sys.executable, str(script), "--runs", "1", "--json"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout)["best"]
    expected = {"bare", "help", "version", "render", "render_1000", "round_trip", "get", "readyz"}
    assert set(figures) == expected
    assert all(isinstance(value, float) and value > 0 for value in figures.values())


PLAN = SCRIPT.parent / "engine_plan.py"


@pytest.mark.bench
def test_the_plan_benchmark_times_a_first_and_a_steady_plan(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    command = [sys.executable, str(PLAN), "--replicas", "10", "--runs", "2", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    plans = json.loads(out.read_text())["plans"]
    first, steady = plans["first plan (every child to create)"], plans["steady state (every child exists)"]
    assert first["writes"] == 2 * 10 + 1  # every pod and service, and the Created condition
    assert steady["writes"] == 0
    assert first["median_ms"] > 0
