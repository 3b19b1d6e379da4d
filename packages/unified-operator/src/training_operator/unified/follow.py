"""Follow one job to its end and report it, for `training-operator local run`, on the SDK's watches.

Conditions are printed as they become True (`stream_conditions`; a `Running=False` flip says nothing a
person needs). Every container attempt's log is streamed as it starts, restarts included (`stream_logs` with
every container, prefixed with the attempt), and its last lines kept (`podwatch`); the pods' container exits
come from `watch_job_pods`. So when the job fails the reason is printed from what was seen: the failing pod's
exit code and last log lines, even after the operator's clean-up deleted the pod. The exit code says how it
ended: 0 Succeeded, 1 Failed (or the job vanished). Nothing polls: each of the three is one watch that
survives what the API server does to long watches.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from training_operator.unified.podwatch import Attempt, PodWatch
from training_operator.unified.sdk import errors

if TYPE_CHECKING:
    from training_operator.unified.sdk.aio import AsyncTrainingClient

#: how long the logs of a finished job may take to arrive whole (a pod still running is left then)
LOG_DRAIN_SECONDS = 5.0
Say = Callable[[str], None]


def say(text: str) -> None:
    """Print a line now (the job's output interleaves with ours)."""
    print(text, flush=True)


class Follower:
    """One job's conditions, pods and logs until it finishes; `run()` → 0 Succeeded, 1 Failed."""

    def __init__(
        self,
        client: AsyncTrainingClient,
        *,
        kind: str,
        namespace: str,
        name: str,
        print_logs: bool,
        out: Say = say,
    ) -> None:
        self.client = client
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.print_logs = print_logs
        self.out = out
        self.pods = PodWatch()

    async def run(self) -> int:
        """Follow until Succeeded or Failed; print why a failed job failed.

        Cancelling it (Ctrl-C) closes every watch and stream before the cancellation goes on.
        """
        pods = asyncio.create_task(self._watch_pods(), name="pods")
        logs = asyncio.create_task(self._stream_logs(), name="logs")
        try:
            outcome = await self._conditions()
            # the logs stream ends by itself once the finished job's logs are read whole
            await asyncio.wait([logs], timeout=LOG_DRAIN_SECONDS)
        finally:
            pods.cancel()
            logs.cancel()
            await asyncio.gather(pods, logs, return_exceptions=True)
        if outcome != 0:
            self._explain()
        return outcome

    # -- conditions ---------------------------------------------------------------------------------

    async def _conditions(self) -> int:
        """Print each condition that becomes True; the outcome once Succeeded or Failed is."""
        true: dict[str, bool] = {}
        stream = self.client.stream_conditions(self.name, self.namespace, self.kind)
        try:
            async with contextlib.aclosing(stream) as conditions:
                async for condition in conditions:
                    true[condition.type] = condition.status == "True"
                    if true[condition.type]:
                        reason, message = condition.reason or "", condition.message or ""
                        self.out(f"  {condition.type}=True {reason}: {message}")
        except errors.JobNotFound:
            self.out(f"  {self.kind} {self.namespace}/{self.name} was deleted")
            return 1
        return 0 if true.get("Succeeded") and not true.get("Failed") else 1

    def _explain(self) -> None:
        failure = self.pods.failure(mpi=self.kind == "MPIJob")
        if failure is None:
            return
        lines = self.pods.tail(failure)
        self.out(f"  why: {failure.describe(self.namespace)}")
        if lines:
            self.out(f"  its last {len(lines)} log line(s):")
            for line in lines:
                self.out(f"    | {line}")

    # -- pods and logs ------------------------------------------------------------------------------

    async def _watch_pods(self) -> None:
        """Every container start and exit of the job's pods, kept (and each restart said) as it happens."""
        stream = self.client.watch_job_pods(self.name, self.namespace, self.kind)
        async with contextlib.aclosing(stream) as events:
            async for event in events:
                if event.type == "DELETED":
                    continue
                for attempt in self.pods.observe(event.pod):
                    if attempt.number > 1:
                        restart = f"container {attempt.container} restarted (attempt {attempt.number})"
                        self.out(f"  {attempt.pod}: {restart}")

    async def _stream_logs(self) -> None:
        """Every attempt of every container's log, line by line; its tail kept, printed if asked."""
        stream = self.client.stream_logs(
            self.name, self.namespace, self.kind, prefix=False, all_containers=True
        )
        async with contextlib.aclosing(stream) as lines:
            async for line in lines:
                attempt = Attempt(line.pod, line.container or "", line.restarts + 1)
                self.pods.line(attempt, line.text)
                if self.print_logs:
                    prefix = attempt.prefix(single_container=self.pods.single_container(line.pod))
                    self.out(f"{prefix} {line.text}")
