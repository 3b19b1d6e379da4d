"""The progress display of `wait` and `--wait`: in place on a terminal, one line per change elsewhere.

Covers: on a terminal each job's block (state, replicas, age, newest condition) is redrawn over the last
drawing (cursor up by the lines drawn, screen cleared below) and lines never exceed the terminal's width;
in a pipe every condition change and replica-count change is printed once, in order, and nothing else.
"""

from __future__ import annotations

import io
import os

from training_operator.core.api.job import JobModel
from training_operator.unified import progress
from training_operator.unified.sdk import jobs


def a_job(*conditions: str, active: int = 0, message: str = "") -> JobModel:
    status: dict = {
        "conditions": [
            {
                "type": t,
                "status": "True",
                "reason": f"Job{t}",
                "message": message,
                "lastTransitionTime": f"t{i}",
            }
            for i, t in enumerate(conditions)
        ]
    }
    if active:
        status["replicaStatuses"] = {"Worker": {"active": active}}
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "mnist", "namespace": "ns", "creationTimestamp": "2024-01-01T00:00:00Z"},
        "spec": {"pytorchReplicaSpecs": {"Worker": {"replicas": 2, "template": {}}}},
        "status": status,
    }
    return jobs.parse_job(body)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_the_block_redrawn_in_place(monkeypatch):
    monkeypatch.setattr(progress.shutil, "get_terminal_size", lambda: os.terminal_size((40, 20)))
    out = Terminal()
    board = progress.Board(out)

    board.show(a_job("Created"))
    board.show(a_job("Created", "Running", active=2, message="x" * 80))
    board.close()

    first, second = out.getvalue().split("\x1b[J")[1:]
    assert out.getvalue().startswith("\x1b[J")
    assert first.endswith("\x1b[2F")  # the next drawing starts by going back over these two lines
    assert first.splitlines()[0].startswith("pytorchjob/mnist  Created  Worker:0/2  ")
    lines = second.splitlines()
    assert lines[0].startswith("pytorchjob/mnist  Running  Worker:2/2  ")
    assert lines[1].startswith("  Running=True  JobRunning xxx")
    assert all(len(line) <= 39 for line in lines)  # wrapping would break the count of lines to go back


def test_a_pipe_gets_each_change_once():
    out = io.StringIO()
    board = progress.Board(out)

    for job in (
        a_job("Created"),
        a_job("Created"),
        a_job("Created", active=1),
        a_job("Created", "Running", active=2),
    ):
        board.show(job)

    assert out.getvalue().splitlines() == [
        "pytorchjob/mnist: Created=True (JobCreated)",
        "pytorchjob/mnist: replicas Worker:1/2",
        "pytorchjob/mnist: Running=True (JobRunning)",
        "pytorchjob/mnist: replicas Worker:2/2",
    ]
