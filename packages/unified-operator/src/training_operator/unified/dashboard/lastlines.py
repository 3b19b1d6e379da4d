"""The last lines of every failed container run, read the moment the failure shows.

A job that reaches its backoff limit or deadline loses every pod at once (Kubeflow deletes them whatever
`cleanPodPolicy` says), and a restarted container keeps only one earlier run's log; either way, what the
failing container printed is gone seconds later. The API serves a container's latest run ("current") and the
one before ("previous") only, and Kubernetes restarts a failed container the first time at once, so a failed
run that is the latest may stop being so at any moment: it is read at once, and that read is kept only if no
restart showed up meanwhile; if one did, the run is read again as "previous" (`pods.failed_run_log`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import aiohttp

from training_operator.core.kube.client import ApiClient
from training_operator.unified.dashboard import pods

log = logging.getLogger(__name__)
#: failed runs kept per job (the first ones: later ones in a crash loop repeat them), and lines read of each
FAILURES_KEPT, FAILURE_LINES = 5, 40
#: log reads in flight at once, so a burst of failures cannot flood the API server
READS_AT_ONCE = 4
#: seconds to wait for a failed container to restart before its provisional read counts as final
RESTART_GRACE = 3.0
PodLookup = Callable[[pods.JobRef, str], Mapping[str, Any] | None]


class FailureLogs:
    """Failed runs per job, each with its last lines once read."""

    def __init__(self, client: ApiClient, pod: PodLookup, read: Callable[[pods.JobRef], None]) -> None:
        self.client = client
        self.pod = pod
        self.read_done = read
        self.failures: dict[pods.JobRef, dict[Any, pods.Failure]] = {}
        self._gate = asyncio.Semaphore(READS_AT_ONCE)
        self._readers: set[asyncio.Task[None]] = set()
        self._changes: dict[pods.JobRef, asyncio.Event] = {}

    def of(self, ref: pods.JobRef) -> list[pods.Failure]:
        """The job's failed runs, the first first."""
        found = self.failures.get(ref, {}).values()
        return sorted(found, key=lambda f: float("inf") if f.at is None else f.at)

    def saw(self, ref: pods.JobRef, job_pods: Iterable[Mapping[str, Any]]) -> None:
        """The job's pods changed: record new failed runs and start reading them; wake the waiting reads."""
        kept = self.failures.setdefault(ref, {})
        for pod in job_pods:
            for failure in pods.failures(pod):
                if failure.key in kept or len(kept) >= FAILURES_KEPT:
                    continue
                kept[failure.key] = failure
                reader = asyncio.create_task(self._capture(ref, failure))
                self._readers.add(reader)
                reader.add_done_callback(self._readers.discard)
        if (change := self._changes.pop(ref, None)) is not None:
            change.set()

    def forget(self, ref: pods.JobRef) -> None:
        """The job and its pods are gone."""
        self.failures.pop(ref, None)

    async def close(self) -> None:
        """Stop reading (before the session the reads use closes)."""
        readers = list(self._readers)
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)

    async def _capture(self, ref: pods.JobRef, failure: pods.Failure) -> None:
        which = pods.failed_run_log(failure, self.pod(ref, failure.pod), waited=False)
        if which == pods.WAIT:
            # read now, before a deletion hides it, then learn whether that read was of the failed run
            early = await self._read(ref, failure, "current")
            which = await self._settled(ref, failure)
            if which == "current":  # no restart came before the pod went or the grace ended: it was
                if early is not None:
                    self._keep(ref, failure, early)
                return
        if which != pods.TOO_LATE and (lines := await self._read(ref, failure, which)) is not None:
            self._keep(ref, failure, lines)

    async def _settled(self, ref: pods.JobRef, failure: pods.Failure) -> str:
        """Which log holds the run, once the pod's next changes (or the grace period) tell."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RESTART_GRACE
        while True:
            which = pods.failed_run_log(failure, self.pod(ref, failure.pod), waited=loop.time() >= deadline)
            if which != pods.WAIT:
                return which
            change = self._changes.setdefault(ref, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(change.wait(), max(0.0, deadline - loop.time()))

    async def _read(self, ref: pods.JobRef, failure: pods.Failure, which: str) -> list[str] | None:
        params = {"container": failure.container, "tailLines": str(FAILURE_LINES)}
        if which == "previous":
            params["previous"] = "true"
        assert self.client.session is not None
        path = f"/api/v1/namespaces/{ref[0]}/pods/{failure.pod}/log"
        async with self._gate:
            try:
                async with self.client.session.get(
                    path, params=params, **self.client.stream_options()
                ) as response:
                    if response.status >= 300:
                        return None
                    text = await response.text(errors="replace")
            except (aiohttp.ClientError, TimeoutError) as error:
                log.debug("cannot read the log of %s: %s", failure.pod, error)
                return None
        return text.splitlines()[-FAILURE_LINES:]

    def _keep(self, ref: pods.JobRef, failure: pods.Failure, lines: list[str]) -> None:
        failure.lines = lines
        self.read_done(ref)
