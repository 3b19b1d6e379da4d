"""Kubernetes events on the job object, as client-go's recorder writes them: de-duplicated and capped.

A reconcile may repeat the same event every time (`ExitedWithCode`, abnormal-pod warnings, common.md §16.2);
Kubernetes' aggregation would fold those into one Event with a growing `count`. We do the same in memory
(reason + message per job → one Event, count bumped by a patch) and cap the distinct events per job, so a
crash-looping job cannot flood etcd. After a restart the memory is empty and the next repeat creates a new
Event, which is what client-go does too.
"""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from training_operator.core.engine.plan import Event
from training_operator.core.kube.client import MERGE_PATCH, ApiClient, ApiError
from training_operator.core.kube.resources import EVENTS

log = logging.getLogger(__name__)
MAX_EVENTS_PER_JOB = 64
MAX_JOBS_REMEMBERED = 10_000


class EventRecorder:
    """Writes `Event`s on jobs; failures are logged, never raised (events are best effort)."""

    def __init__(self, client: ApiClient, *, per_job: int = MAX_EVENTS_PER_JOB) -> None:
        self.client = client
        self.per_job = per_job
        # job uid → (reason, message) → (event name, count); LRU over jobs to bound memory
        self._seen: OrderedDict[str, dict[tuple[str, str], tuple[str, int]]] = OrderedDict()

    async def record(self, job: Mapping[str, Any], event: Event, *, component: str) -> None:
        """Create the event, or bump the count of the identical one recorded before."""
        meta = job.get("metadata") or {}
        uid = str(meta.get("uid", ""))
        seen = self._seen.setdefault(uid, {})
        self._seen.move_to_end(uid)
        while len(self._seen) > MAX_JOBS_REMEMBERED:
            self._seen.popitem(last=False)
        key = (event.reason, event.message)
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        namespace = meta.get("namespace") or "default"
        # the memory is updated before each request: the writer records events of concurrent creates, and
        # the cap and the counts must hold across them
        try:
            if key in seen:
                name, count = seen[key]
                seen[key] = (name, count + 1)
                patch = {"count": count + 1, "lastTimestamp": now}
                await self.client.request(
                    "PATCH", EVENTS.path(namespace, name), body=patch, content_type=MERGE_PATCH
                )
                return
            if len(seen) >= self.per_job:
                log.debug("event cap reached for %s/%s: %s", namespace, meta.get("name"), event.reason)
                return
            body = _event_body(job, event, component=component, now=now)
            seen[key] = (body["metadata"]["name"], 1)
            try:
                await self.client.request("POST", EVENTS.path(namespace), body=body)
            except ApiError:
                seen.pop(key, None)
                raise
        except ApiError as error:
            log.warning(
                "could not record event %s on %s/%s: %s", event.reason, namespace, meta.get("name"), error
            )

    def forget(self, uid: str) -> None:
        """The job is gone: drop its de-duplication memory."""
        self._seen.pop(uid, None)


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
