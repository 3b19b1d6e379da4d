"""What a watch-driven wait decides: the verdict on each version of a job, and each condition change once.

A wait reads the job once, then follows a watch on `metadata.name=<name>` from that resourceVersion
(`watcher.Watcher`); each version of the job goes through `ConditionWait.step`, which says whether to stop
(or how long to watch) and remembers the last conditions for the timeout message. `Transitions` reports each
condition change once (progress lines, `stream_conditions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.unified.sdk import errors, jobs


class Transitions:
    """Yields each condition change (type, status, transition time) once, in the order it was seen."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str, str | None]] = set()

    def new(self, job: JobModel) -> list[JobCondition]:
        """Conditions of this job version not reported before."""
        fresh = []
        for condition in jobs.conditions(job):
            key = (condition.type, condition.status, condition.last_transition_time)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(condition)
        return fresh


class ConditionWait:
    """The state of one `wait_for_job_conditions` call."""

    def __init__(
        self,
        what: str,
        expected: frozenset[str],
        callback: Callable[[JobModel], object] | None = None,
        *,
        wait_timeout: float,
        started: float,
    ) -> None:
        self.what = what
        self.expected = expected
        self.callback = callback
        self.wait_timeout = wait_timeout
        self.deadline = started + wait_timeout
        self.last: JobModel | None = None

    @property
    def resource_version(self) -> str | None:
        """Where the next watch starts: the version last seen, so no change in between is missed."""
        return self.last.metadata.resource_version if self.last else None

    def step(self, body: Mapping[str, Any], now: float) -> JobModel | float:
        """Judge one version of the job: the job when the wait is over, else the seconds left to watch.

        Raises JobFailed (Failed and not expected) or Timeout (the deadline passed).
        """
        job = jobs.parse_job(body)
        if self.observe(job) is jobs.Verdict.REACHED:
            return job
        remaining = self.deadline - now
        if remaining <= 0:
            raise self.timeout(self.wait_timeout)
        return remaining

    def observe(self, job: JobModel) -> jobs.Verdict:
        """Record one version of the job; raise JobFailed when it failed and Failed was not expected."""
        self.last = job
        if self.callback is not None:
            self.callback(job)
        outcome = jobs.verdict(job, self.expected)
        if outcome is jobs.Verdict.FAILED:
            failed = next(c for c in jobs.conditions(job) if c.type == "Failed" and c.status == jobs.TRUE)
            raise errors.JobFailed(
                f"{self.what} failed: {failed.reason or ''} {failed.message or ''}".strip(), job=job
            )
        return outcome

    def timeout(self, seconds: float) -> errors.Timeout:
        """The error for a deadline that passed, naming the conditions last seen."""
        seen = jobs.describe_conditions(self.last)
        last = ", ".join(seen) if seen else "none"
        wanted = "/".join(sorted(self.expected))
        return errors.Timeout(
            f"timed out after {seconds:g}s waiting for {self.what} to reach {wanted}; "
            f"last conditions: {last}",
            last_conditions=seen,
        )


def finished(job: JobModel) -> bool:
    """Succeeded or Failed is True: the job will not run again."""
    return jobs.has_condition(job, ConditionType.SUCCEEDED) or jobs.has_condition(job, ConditionType.FAILED)
