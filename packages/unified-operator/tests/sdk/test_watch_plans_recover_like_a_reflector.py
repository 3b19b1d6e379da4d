"""The watch logic both clients share, driven step by step without a server (it does no I/O of its own).

Covers what a real API server does to long watches and the local one does not (all of it in one scripted
`watch_jobs` run): a bookmark moves the resourceVersion on silently; an ERROR event with code 410 inside a
200 stream relists and reports only what changed; a 503 end backs off and resumes from the last version
without a relist; a garbled line resumes too; the back-off doubles and resets after a good event; a stream
silent past its deadline is reopened; a 403 ends the watch with Forbidden.
"""

from __future__ import annotations

import json
from collections import deque
from types import SimpleNamespace
from typing import Any

import pytest

from training_operator.unified.sdk import Forbidden, errors, steps, watcher
from training_operator.unified.sdk.surface import Operations


def job(name: str, version: int) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "ns", "resourceVersion": str(version)},
        "spec": {"pytorchReplicaSpecs": {}},
    }


def listing(version: int, *items: dict[str, Any]) -> dict[str, Any]:
    bare = [{k: v for k, v in item.items() if k not in ("kind", "apiVersion")} for item in items]
    return {
        "kind": "PyTorchJobList",
        "apiVersion": "kubeflow.org/v1",
        "metadata": {"resourceVersion": str(version)},
        "items": bare,
    }


def line(event_type: str, body: dict[str, Any]) -> steps.Line:
    return steps.Line("jobs", json.dumps({"type": event_type, "object": body}))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def run(plan: Any, script: deque[Any], clock: Clock, handed: list[Any], log: list[str]) -> None:
    """Answer each step from `script` (a Send gets the next body, a Next the next arrival; an error in the
    script is raised into the plan); records what the plan handed out and a log of its steps."""
    stepper = steps.Stepper(plan)
    while (step := stepper.advance()) is not None:
        if isinstance(step, steps.Emit):
            handed.append((step.value.type, step.value.job.name, step.value.job.metadata.resource_version))
            continue
        if isinstance(step, steps.Send):
            log.append(f"list {step.call.params.get('continue') or ''}".strip())
        elif isinstance(step, steps.Open):
            log.append(f"watch from {step.call.params['resourceVersion']}")
            continue
        elif isinstance(step, steps.Pause):
            log.append(f"pause {step.seconds:g}")
            continue
        elif isinstance(step, steps.Close):
            log.append("close")
            continue
        answer = script.popleft()
        if answer == "silence":
            clock.now += watcher.WATCH_SECONDS + watcher.SILENCE_GRACE + 1
            answer = None
        if isinstance(answer, errors.TrainingError):
            stepper.fail(answer)
        else:
            stepper.answer(answer)


def test_a_watch_survives_what_real_servers_do(monkeypatch: pytest.MonkeyPatch):
    clock = Clock()
    monkeypatch.setattr(watcher, "time", clock)
    plan = Operations(SimpleNamespace(namespace="ns", job_kind="PyTorchJob")).watch_jobs()
    script: deque[Any] = deque(
        [
            listing(10, job("a", 5)),
            line("BOOKMARK", {"metadata": {"resourceVersion": "12"}}),
            line("MODIFIED", job("a", 13)),
            line("ERROR", {"kind": "Status", "code": 410, "reason": "Expired", "message": "too old"}),
            listing(20, job("a", 13), job("b", 15)),
            steps.Ended("jobs", errors.TrainingError("unavailable", status=503)),
            steps.Line("jobs", "{not json"),
            line("ADDED", job("c", 21)),
            "silence",
            steps.Ended("jobs", errors.TrainingError("busy", status=500)),
            steps.Ended("jobs", Forbidden("forbidden: watch pytorchjobs", status=403)),
        ]
    )

    handed: list[Any] = []
    log: list[str] = []

    with pytest.raises(Forbidden):
        run(plan, script, clock, handed, log)

    assert not script
    assert handed == [
        ("ADDED", "a", "5"),
        ("MODIFIED", "a", "13"),
        ("ADDED", "b", "15"),  # after the 410 relist: a is unchanged, so not reported again
        ("ADDED", "c", "21"),
    ]
    assert log == [
        "list",
        "watch from 10",
        # the bookmark moved us to 12, the event to 13; then 410: read everything again
        "list",
        "watch from 20",
        "pause 0.2",  # 503: back off, resume from the last version, no relist
        "watch from 20",
        "pause 0.4",  # a garbled line: the same, backing off further
        "watch from 20",
        "close",  # silent past its deadline: reopened (the good event reset the back-off)
        "watch from 21",
        "pause 0.2",
        "watch from 21",
    ]
