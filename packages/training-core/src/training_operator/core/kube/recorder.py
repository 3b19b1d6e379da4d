"""Kubernetes events on the job object, as client-go's recorder writes them: de-duplicated and rate-limited.

A reconcile may repeat the same event every time (`ExitedWithCode`, abnormal-pod warnings, common.md §16.2);
Kubernetes' aggregation would fold those into one Event with a growing `count`. We do the same in memory
(reason + message per job → one Event, count bumped by a patch). Every write then passes client-go's spam
filter shape: a token bucket per job of 25 writes that refills one token every 5 minutes. So a 1,000-replica
job gets 25 `SuccessfulCreatePod` events, as under Kubeflow's operator, not 1,000 extra API writes, and a
crash-looping job cannot flood etcd. After a restart the memory is empty and the next repeat creates a new
Event, which is what client-go does too.

Like client-go's broadcaster, recording never waits for the API server: `record` decides (rate limit,
de-duplication) at once and queues the write; one sender task, started when there is something to send and
ending when the queue is empty, writes them in order (an Event's count patch after its create). So a reconcile
creating children does not wait for an event write per child, and a slow or failing events endpoint cannot
delay a job. The queue is bounded as client-go's (1,000); past it, events are dropped and logged.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from training_operator.core.engine.plan import Event
from training_operator.core.kube.client import MERGE_PATCH, ApiClient
from training_operator.core.kube.resources import EVENTS

log = logging.getLogger(__name__)
BURST = 25  # client-go's EventSourceObjectSpamFilter defaults: 25 at once, then one per 5 minutes
REFILL_SECONDS = 300.0
MAX_JOBS_REMEMBERED = 10_000
MAX_QUEUED = 1_000  # client-go's maxQueuedEvents


@dataclass
class _JobEvents:
    """What the recorder remembers of one job: its Events by (reason, message) and its write tokens."""

    tokens: float
    stamp: float
    seen: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)


@dataclass
class _Write:
    """One queued event write: a create (`name` None) or a count patch of the Event `name`."""

    namespace: str
    name: str | None
    body: dict[str, Any]
    event: Event
    meta: Mapping[str, Any]
    seen: dict[tuple[str, str], tuple[str, int]]  # the job's memory, corrected if the create fails
    key: tuple[str, str]


class EventRecorder:
    """Writes `Event`s on jobs, in the background; failures are logged, never raised (best effort)."""

    def __init__(
        self,
        client: ApiClient,
        *,
        burst: int = BURST,
        refill_seconds: float = REFILL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.client = client
        self.max_queued = max_queued
        self.burst = burst
        self.refill_seconds = refill_seconds
        self.clock = clock
        # job uid → its memory; LRU over jobs to bound memory
        self._jobs: OrderedDict[str, _JobEvents] = OrderedDict()
        self._queue: deque[_Write] = deque()
        self._sender: asyncio.Task[None] | None = None

    def record(self, job: Mapping[str, Any], event: Event, *, component: str) -> None:
        """Queue the event's create, or a count bump of the identical one, if the job has a token left."""
        meta = job.get("metadata") or {}
        namespace = meta.get("namespace") or "default"
        memory = self._memory(str(meta.get("uid", "")))
        if not self._take(memory):
            log.debug("event rate limit for %s/%s: %s dropped", namespace, meta.get("name"), event.reason)
            return
        if len(self._queue) >= self.max_queued:
            log.warning(
                "%d events wait to be written: %s on %s/%s dropped",
                len(self._queue),
                event.reason,
                namespace,
                meta.get("name"),
            )
            return
        seen = memory.seen
        key = (event.reason, event.message)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        # the memory is updated when the write is queued: the count of a repeat must follow the queued create
        if key in seen:
            name, count = seen[key]
            seen[key] = (name, count + 1)
            write = _Write(
                namespace, name, {"count": count + 1, "lastTimestamp": now}, event, meta, seen, key
            )
        else:
            body = _event_body(job, event, component=component, now=now)
            seen[key] = (body["metadata"]["name"], 1)
            write = _Write(namespace, None, body, event, meta, seen, key)
        self._queue.append(write)
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._send(), name="events")

    async def flush(self, give_up_after: float | None = None) -> None:
        """Until every queued event is written (or `give_up_after` seconds, then the rest is dropped)."""
        sender = self._sender
        if sender is None:
            return
        done, _ = await asyncio.wait({sender}, timeout=give_up_after)
        if not done:
            self.discard()

    def discard(self) -> None:
        """Drop what is queued and stop the sender (this process may no longer write: leadership lost)."""
        self._queue.clear()
        if self._sender is not None:
            self._sender.cancel()
            self._sender = None

    async def _send(self) -> None:
        while self._queue:
            write = self._queue.popleft()
            try:
                if write.name is None:
                    await self.client.request("POST", EVENTS.path(write.namespace), body=write.body)
                else:
                    await self.client.request(
                        "PATCH",
                        EVENTS.path(write.namespace, write.name),
                        body=write.body,
                        content_type=MERGE_PATCH,
                    )
            except Exception as error:  # refused, or the connection lost: best effort, the next goes on
                if write.name is None:  # not created: a repeat must create it anew
                    write.seen.pop(write.key, None)
                log.warning(
                    "could not record event %s on %s/%s: %s",
                    write.event.reason,
                    write.namespace,
                    write.meta.get("name"),
                    error,
                )

    def _memory(self, uid: str) -> _JobEvents:
        memory = self._jobs.get(uid)
        if memory is None:
            memory = self._jobs[uid] = _JobEvents(tokens=float(self.burst), stamp=self.clock())
        self._jobs.move_to_end(uid)
        while len(self._jobs) > MAX_JOBS_REMEMBERED:
            self._jobs.popitem(last=False)
        return memory

    def _take(self, memory: _JobEvents) -> bool:
        now = self.clock()
        refilled = memory.tokens + (now - memory.stamp) / self.refill_seconds
        memory.tokens, memory.stamp = min(float(self.burst), refilled), now
        if memory.tokens < 1:
            return False
        memory.tokens -= 1
        return True

    def forget(self, uid: str) -> None:
        """The job is gone: drop its de-duplication memory."""
        self._jobs.pop(uid, None)


def _event_body(job: Mapping[str, Any], event: Event, *, component: str, now: str) -> dict[str, Any]:
    meta = job.get("metadata") or {}
    name = f"{meta.get('name')}.{secrets.token_hex(8)}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": meta.get("namespace") or "default"},
        "involvedObject": {
            "apiVersion": job.get("apiVersion"),
            "kind": job.get("kind"),
            "name": meta.get("name"),
            "namespace": meta.get("namespace") or "default",
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "type": event.type,
        "reason": event.reason,
        "message": event.message,
        "source": {"component": component},
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "reportingComponent": component,
    }
