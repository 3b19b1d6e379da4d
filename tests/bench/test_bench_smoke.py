"""The operator-writes benchmark still runs: one one-replica PyTorchJob yields a row with a numeric ratio.

A smoke test, not a timed assert: it checks the script's output shape only. Select it with `-m bench`.
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
