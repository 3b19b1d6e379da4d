"""What `local run` learns about a job's pods while it follows them: attempts to stream, exits, log tails.

Pure bookkeeping over pod objects as the API server sends them, kept apart from the streams that feed it,
so the rules are tested without a cluster. The point is to know *why* a job failed after the fact: the
operator's clean-up (cleanPodPolicy, restarts) deletes failed pods, and their logs go with them, so every
container exit and the last lines of every attempt's log are kept here as they happen.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from training_operator.core import labels

TAIL_LINES = 20


@dataclass(frozen=True, slots=True)
class Attempt:
    """One start of one container: attempt 1 is the first, a restart makes the next."""

    pod: str
    container: str
    number: int
    #: read the log with `previous=true`: the attempt ended and the next one may already run
    previous: bool = False

    def prefix(self, *, single_container: bool) -> str:
        """`[pod]`, `[pod/container]`, and ` attempt N` from the second attempt on."""
        name = self.pod if single_container else f"{self.pod}/{self.container}"
        return f"[{name}{f' attempt {self.number}' if self.number > 1 else ''}]"


@dataclass(frozen=True, slots=True)
class Exit:
    """A container attempt (or a whole pod) that ended in failure."""

    attempt: Attempt
    code: int | None
    reason: str
    message: str
    finished_at: str
    launcher: bool

    def describe(self, namespace: str) -> str:
        """One sentence: which pod, container and attempt, and how it ended."""
        where = f"pod {namespace}/{self.attempt.pod}"
        if self.attempt.container:
            where += f" (container {self.attempt.container}, attempt {self.attempt.number})"
        how = f"exited with code {self.code}" if self.code is not None else "failed"
        detail = f" ({self.reason})" if self.reason else ""
        return f"{where} {how}{detail}" + (f": {self.message}" if self.message else "")


@dataclass
class PodWatch:
    """Every attempt seen, every failed exit, and the last lines of each attempt's log."""

    streamed: set[Attempt] = field(default_factory=set)
    exits: dict[tuple[str, str, int], Exit] = field(default_factory=dict)
    tails: dict[tuple[str, str, int], deque[str]] = field(default_factory=dict)
    containers: dict[str, int] = field(default_factory=dict)

    def observe(self, pod: Mapping[str, Any]) -> list[Attempt]:
        """Record what this version of a pod shows; return attempts whose log is now worth streaming."""
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        name = str(meta.get("name", ""))
        launcher = (meta.get("labels") or {}).get(labels.JOB_ROLE) == labels.JOB_ROLE_LAUNCHER
        self.containers[name] = len((pod.get("spec") or {}).get("containers") or []) or 1
        fresh = []
        for container in status.get("containerStatuses") or []:
            fresh += self._container(name, container, launcher=launcher)
        if status.get("phase") == "Failed" and not any(key[0] == name for key in self.exits):
            whole = Attempt(name, "", 0)
            self.exits[(name, "", 0)] = Exit(
                whole, None, str(status.get("reason") or ""), str(status.get("message") or ""), "", launcher
            )
        return fresh

    def _container(self, pod: str, container: Mapping[str, Any], *, launcher: bool) -> list[Attempt]:
        name, restarts = str(container.get("name", "")), int(container.get("restartCount") or 0)
        state, last = container.get("state") or {}, container.get("lastState") or {}
        for ended, number in ((state.get("terminated"), restarts + 1), (last.get("terminated"), restarts)):
            if ended and int(ended.get("exitCode") or 0) != 0 and number > 0:
                attempt = Attempt(pod, name, number)
                self.exits.setdefault(
                    (pod, name, number),
                    Exit(
                        attempt,
                        int(ended.get("exitCode") or 0),
                        str(ended.get("reason") or ""),
                        str(ended.get("message") or ""),
                        str(ended.get("finishedAt") or ""),
                        launcher,
                    ),
                )
        fresh = []
        if "terminated" in last and restarts > 0:
            fresh.append(Attempt(pod, name, restarts, previous=True))  # ended, maybe before we saw it run
        if "running" in state or "terminated" in state:
            fresh.append(Attempt(pod, name, restarts + 1))
        return [a for a in fresh if self._claim(a)]

    def _claim(self, attempt: Attempt) -> bool:
        key = Attempt(attempt.pod, attempt.container, attempt.number)
        if key in self.streamed:
            return False
        self.streamed.add(key)
        self.tails[(attempt.pod, attempt.container, attempt.number)] = deque(maxlen=TAIL_LINES)
        return True

    def line(self, attempt: Attempt, text: str) -> None:
        """One line of an attempt's log, kept in its tail."""
        self.tails.setdefault((attempt.pod, attempt.container, attempt.number), deque(maxlen=TAIL_LINES))
        self.tails[(attempt.pod, attempt.container, attempt.number)].append(text)

    def single_container(self, pod: str) -> bool:
        """The pod has one container (log prefixes leave the container's name out)."""
        return self.containers.get(pod, 1) == 1

    def failure(self, *, mpi: bool) -> Exit | None:
        """The exit that explains a failed job: for MPIJob its launcher's, else the pod that failed first;
        of that pod, its latest attempt (what it printed last)."""
        exits = list(self.exits.values())
        if mpi and (launchers := [e for e in exits if e.launcher]):
            exits = launchers
        exits = [e for e in exits if e.code is not None] or exits
        if not exits:
            return None
        first = min(exits, key=lambda e: (e.finished_at or "~", e.attempt.pod))  # where it started
        return max((e for e in exits if e.attempt.pod == first.attempt.pod), key=lambda e: e.attempt.number)

    def tail(self, exit_: Exit) -> list[str]:
        """The last log lines of that attempt (of the pod's last attempt for a pod-level failure)."""
        attempt = exit_.attempt
        if attempt.container:
            return list(self.tails.get((attempt.pod, attempt.container, attempt.number), ()))
        keys = sorted(k for k in self.tails if k[0] == attempt.pod)
        return list(self.tails[keys[-1]]) if keys else []
