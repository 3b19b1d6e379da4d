"""Whole-job restart with real DDP training on the local node (runPolicy.wholeJobRestart, ours).

Covers: a 3-process PyTorch DDP job checkpointing every 5 steps; the test SIGKILLs one rank's process
mid-training; the operator restarts all three pods together (one recorded restart, one event, every new pod
labelled and told attempt 1); every rank resumes from the same checkpoint and the job ends Succeeded with the
expected step count and identical weights on every rank.
"""

import importlib.util
import os
import re
import signal
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed"),
]
ATTEMPT_LABEL = "training-operator.io/restart-attempt"
STEPS = 120


def with_checkpoints_in(directory: Path):
    def change(body: dict) -> None:
        for spec in body["spec"]["pytorchReplicaSpecs"].values():
            container = spec["template"]["spec"]["containers"][0]
            container["env"] = [
                {"name": "CHECKPOINT_DIR", "value": str(directory)},
                {"name": "STEPS", "value": str(STEPS)},
            ]

    return change


def checkpointed_step(checkpoint: Path, *, at_least: int, timeout: float = 180) -> int:
    """The checkpoint's step once it reaches `at_least` (the file is replaced atomically by rank 0)."""
    import torch

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if checkpoint.exists():
            step = int(torch.load(checkpoint, weights_only=True)["step"])
            if step >= at_least:
                return step
        time.sleep(0.2)  # polls a file the training writes; no API event tells us this
    pytest.fail(f"no checkpoint at step {at_least} within {timeout}s")


def values(logs: list[str], key: str) -> list[str]:
    return [value for log in logs for value in re.findall(rf"\b{key}=(\S+)", log)]


def test_killing_one_rank_restarts_all_three_from_the_checkpoint(jobs, tmp_path):
    job = jobs.submit(
        "pytorch/whole-job-restart/job.yaml", name="e2e-whole-restart", change=with_checkpoints_in(tmp_path)
    )
    killed_at = checkpointed_step(tmp_path / "checkpoint.pt", at_least=10)
    [victim] = [p for p in jobs.pods(job) if p.metadata.name.endswith("worker-0")]
    pid = int(victim.status.container_statuses[0].container_id.removeprefix("process://"))
    os.killpg(pid, signal.SIGKILL)  # the rank's whole process group, as a lost node would

    job = jobs.wait(job, timeout=400)
    seen = jobs.wait_pods(job, lambda pods: all(p.status.phase in ("Succeeded", "Failed") for p in pods))
    logs = [jobs.log(p.metadata.name) for p in sorted(seen, key=lambda p: p.metadata.name)]
    assert jobs.conditions(job)[-1] == ("Succeeded", "True"), (jobs.conditions(job), logs)
    assert job["status"]["wholeJobRestarts"] == 1
    assert len(seen) == 3
    assert {p.metadata.labels[ATTEMPT_LABEL] for p in seen} == {"1"}
    assert all(p.status.phase == "Succeeded" for p in seen), logs
    assert values(logs, "attempt") == ["1", "1", "1"]
    resumed = set(values(logs, "resumed_from"))
    assert len(resumed) == 1, logs  # every rank resumed from the same checkpoint
    assert killed_at <= int(resumed.pop()) < STEPS
    assert values(logs, "final_step") == [str(STEPS)] * 3
    assert len(set(values(logs, "weights"))) == 1, logs
    events = jobs.core.list_namespaced_event("default").items
    restarts = [
        e
        for e in events
        if e.involved_object.name == "e2e-whole-restart" and e.reason == "PyTorchJobWholeJobRestart"
    ]
    assert sum(e.count or 1 for e in restarts) == 1, [e.message for e in restarts]
    assert "attempt 1" in restarts[0].message
