"""kopf event handlers for the job kinds: translate a watch event into the store and a queue request, nothing
else (STYLE.md §6). Event handlers, not change-detecting ones, so kopf never writes its bookkeeping
annotations or finalizers into users' jobs (common.md §4.2, ARCHITECTURE).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import kopf

from training_operator.core.engine import draft
from training_operator.core.framework import KindInfo
from training_operator.core.kube.index import JobKey
from training_operator.core.kube.queue import WorkQueue
from training_operator.core.kube.reconcile import JobStore


class CreatedCounter(Protocol):
    """Where a newly seen job is counted (`core.metrics.Metrics`)."""

    def increment(self, name: str, labels: Mapping[str, str] | None = None, amount: float = 1.0) -> None: ...


def register(
    registry: kopf.OperatorRegistry,
    *,
    kind: KindInfo,
    store: JobStore,
    queue: WorkQueue[JobKey],
    metrics: CreatedCounter,
    coalesce: float,
) -> None:
    """Watch one job kind through kopf and feed its queue."""

    @kopf.on.event(kind.group, kind.version, kind.plural, registry=registry, id=f"{kind.scheme}-events")
    async def job_event(event: Mapping[str, Any], **_: Any) -> None:
        on_job_event(event, kind=kind, store=store, queue=queue, metrics=metrics, coalesce=coalesce)


def on_job_event(
    event: Mapping[str, Any],
    *,
    kind: KindInfo,
    store: JobStore,
    queue: WorkQueue[JobKey],
    metrics: CreatedCounter,
    coalesce: float,
) -> None:
    """Store the body and ask for a reconcile: at once for a new job or a spec change, else coalesced."""
    body: Mapping[str, Any] = event.get("object") or {}
    meta = body.get("metadata") or {}
    key = JobKey(kind.kind, meta.get("namespace") or "default", meta.get("name", ""))
    if event.get("type") == "DELETED":
        if store.remove(key, uid=str(meta.get("uid", ""))):
            queue.forget(key)
        return
    if store.superseded(key, body):
        return
    old = store.get(key)
    if store.put(key, body) and not (body.get("status") or {}).get("conditions"):
        # issue 7: a job whose status already has conditions was created before this operator started
        labels = {"job_namespace": key.namespace, "framework": kind.framework_label}
        metrics.increment(draft.JOBS_CREATED, labels)
    if old is None or _urgent(old, body):
        queue.add(key)
    else:
        queue.add(key, delay=coalesce)  # our own status writes and metadata noise fold together


def _urgent(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    before, after = old.get("metadata") or {}, new.get("metadata") or {}
    return (
        before.get("uid") != after.get("uid")
        or before.get("generation") != after.get("generation")
        or bool(before.get("deletionTimestamp")) != bool(after.get("deletionTimestamp"))
    )
