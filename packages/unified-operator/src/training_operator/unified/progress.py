"""Progress of the jobs a command waits on: live on a terminal, plain lines everywhere else.

On a terminal each job has a block (state, replicas ready/total per type, age, its latest condition) that is
redrawn in place as the watch delivers new versions, as `kubectl get -w` users expect of a progress display.
Anywhere else (a pipe, a CI log) every condition change and replica-count change is one line, printed once,
so a log reads as a history. `show` takes a job version; `close` leaves the last drawing on screen.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from typing import TextIO

from training_operator.core.api.job import JobModel
from training_operator.unified.sdk import jobs, printing, watching

#: ANSI: cursor to the start of the line N lines up (CPL), then clear to the end of the screen (ED)
_UP, _CLEAR = "\x1b[{}F", "\x1b[J"


class Board:
    """The jobs being waited on, drawn on `out`."""

    def __init__(self, out: TextIO, *, live: bool | None = None) -> None:
        self.out = out
        self.live = out.isatty() if live is None else live
        self.latest: dict[str, JobModel] = {}  # kind/name → its newest version, in first-seen order
        self.transitions: dict[str, watching.Transitions] = {}
        self.replicas: dict[str, str] = {}
        self.drawn = 0  # lines on screen from the last drawing (live only)

    def show(self, job: JobModel) -> None:
        """A new version of one of the jobs."""
        label = f"{job.kind.lower()}/{job.name}"
        self.latest[label] = job
        if self.live:
            self._draw()
            return
        seen = self.transitions.setdefault(label, watching.Transitions())
        for condition in seen.new(job):
            self.out.write(printing.progress(label, condition) + "\n")
        cell = printing.replicas(job)
        if job.status and job.status.replica_statuses and self.replicas.get(label) != cell:
            self.replicas[label] = cell
            self.out.write(f"{label}: replicas {cell}\n")
        self.out.flush()

    def close(self) -> None:
        """Done: what is drawn stays; the cursor is below it."""
        self.out.flush()

    def _draw(self) -> None:
        width = max(shutil.get_terminal_size().columns - 1, 20)  # a wrapped line would break the count
        lines = [text[:width] for job in self.latest.values() for text in block(job, datetime.now(UTC))]
        erase = (_UP.format(self.drawn) if self.drawn else "") + _CLEAR
        self.out.write(erase + "".join(f"{line}\n" for line in lines))
        self.out.flush()
        self.drawn = len(lines)


def block(job: JobModel, now: datetime) -> list[str]:
    """One job's lines: `kind/name  STATE  replicas  age`, then its newest condition."""
    state = jobs.state(job) or "Pending"
    since = printing.age(job.metadata.creation_timestamp, now)
    lines = [f"{job.kind.lower()}/{job.name}  {state}  {printing.replicas(job)}  {since}"]
    found = jobs.conditions(job)
    if found:
        latest = found[-1]
        detail = " ".join(p for p in (latest.reason, latest.message) if p)
        lines.append(f"  {latest.type}={latest.status}" + (f"  {detail}" if detail else ""))
    return lines
