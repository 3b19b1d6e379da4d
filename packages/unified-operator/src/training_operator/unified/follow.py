"""Follow one job to its end and report it, for `training-operator local run`.

Conditions are printed as they become True (a `Running=False` flip says nothing a person needs). Every
container attempt's log is streamed as it starts, restarts included (prefixed with the attempt), and its last
lines kept (`podwatch`), so that when the job fails the reason is printed from what was seen: the failing
pod's exit code and last log lines, even after the operator's clean-up deleted the pod. The exit code says
how it ended: 0 Succeeded, 1 Failed (or the job vanished).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from training_operator.core import labels
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.resources import Resource
from training_operator.unified.podwatch import Attempt, PodWatch

POLL_SECONDS = 0.5
LOG_DRAIN_SECONDS = 5.0
WATCH_SECONDS = 60
Say = Callable[[str], None]


def say(text: str) -> None:
    """Print a line now (the job's output interleaves with ours)."""
    print(text, flush=True)


class Follower:
    """One job's conditions, pods and logs until it finishes; `run()` → 0 Succeeded, 1 Failed."""

    def __init__(
        self,
        client: ApiClient,
        resource: Resource,
        *,
        namespace: str,
        name: str,
        print_logs: bool,
        out: Say = say,
    ) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.name = name
        self.print_logs = print_logs
        self.out = out
        self.pods = PodWatch()
        self.streams: dict[Attempt, asyncio.Task[None]] = {}

    async def run(self) -> int:
        """Follow until Succeeded or Failed; print why a failed job failed."""
        watcher = asyncio.create_task(self._watch_pods(), name="pods")
        try:
            outcome = await self._conditions()
            if self.streams:  # a finished pod's log ends by itself: let it arrive whole
                await asyncio.wait(list(self.streams.values()), timeout=LOG_DRAIN_SECONDS)
        finally:
            watcher.cancel()
            for task in self.streams.values():
                task.cancel()
            await asyncio.gather(watcher, *self.streams.values(), return_exceptions=True)
        if outcome != 0:
            self._explain()
        return outcome

    # -- conditions ---------------------------------------------------------------------------------

    async def _conditions(self) -> int:
        true_before: set[tuple[str, str]] = set()
        while True:
            try:
                job = await self.client.request("GET", self.resource.path(self.namespace, self.name))
            except ApiError as error:
                if not error.not_found:
                    raise
                self.out(f"  {self.resource.kind} {self.namespace}/{self.name} was deleted")
                return 1
            true_now = set()
            for condition in (job.get("status") or {}).get("conditions") or []:
                if condition.get("status") != "True":
                    continue
                mark = (str(condition.get("type", "")), str(condition.get("reason", "")))
                true_now.add(mark)
                if mark not in true_before:
                    self.out(f"  {mark[0]}=True {mark[1]}: {condition.get('message', '')}")
            true_before = true_now
            finished = {kind for kind, _ in true_now} & {"Succeeded", "Failed"}
            if finished:
                return 0 if "Succeeded" in finished and "Failed" not in finished else 1
            await asyncio.sleep(POLL_SECONDS)

    def _explain(self) -> None:
        failure = self.pods.failure(mpi=self.resource.kind == "MPIJob")
        if failure is None:
            return
        lines = self.pods.tail(failure)
        self.out(f"  why: {failure.describe(self.namespace)}")
        if lines:
            self.out(f"  its last {len(lines)} log line(s):")
            for line in lines:
                self.out(f"    | {line}")

    # -- pods ---------------------------------------------------------------------------------------

    async def _watch_pods(self) -> None:
        """List, then watch from that version; start over after an error or the watch's end."""
        path = f"/api/v1/namespaces/{self.namespace}/pods"
        selector = {"labelSelector": f"{labels.JOB_NAME}={self.name}"}
        while True:
            with contextlib.suppress(ApiError, aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                listing = await self.client.request("GET", path, params=selector)
                for pod in listing.get("items") or []:
                    self._seen(pod)
                version = (listing.get("metadata") or {}).get("resourceVersion", "")
                params = {**selector, "resourceVersion": version, "timeoutSeconds": str(WATCH_SECONDS)}
                async for event in self.client.watch(path, params):
                    if event.get("type") in ("ADDED", "MODIFIED"):
                        self._seen(event.get("object") or {})
            await asyncio.sleep(POLL_SECONDS)

    def _seen(self, pod: Mapping[str, Any]) -> None:
        for attempt in self.pods.observe(pod):
            if attempt.number > 1:
                restart = f"container {attempt.container} restarted (attempt {attempt.number})"
                self.out(f"  {attempt.pod}: {restart}")
            self.streams[attempt] = asyncio.create_task(self._stream(attempt), name=f"log {attempt}")

    async def _stream(self, attempt: Attempt) -> None:
        """The attempt's log as it is written; an attempt that already ended (its container now waits to
        restart, so there is no current log) is read as the previous one."""
        prefix = attempt.prefix(single_container=self.pods.single_container(attempt.pod))
        with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
            if not await self._read(attempt, prefix, previous=attempt.previous):
                await self._read(attempt, prefix, previous=True)

    async def _read(self, attempt: Attempt, prefix: str, *, previous: bool) -> bool:
        assert self.client.session is not None
        path = f"/api/v1/namespaces/{self.namespace}/pods/{attempt.pod}/log"
        which = {"previous": "true"} if previous else {"follow": "true"}
        params = {"container": attempt.container, **which}
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self.client.session.get(path, params=params, timeout=timeout) as response:
            if response.status != 200:
                return previous  # nothing to fall back to after the previous log
            async for raw in response.content:
                line = raw.decode(errors="replace").rstrip("\n")
                self.pods.line(attempt, line)
                if self.print_logs:
                    self.out(f"{prefix} {line}")
        return True
