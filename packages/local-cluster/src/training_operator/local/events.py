"""core/v1 Events recorded by the built-in controllers and the kubelet, so `kubectl describe` tells the story.

Best effort, as upstream's recorder: a failed event write is dropped, never an error for the caller.
"""

import asyncio
import datetime
import secrets
from typing import Any

from training_operator.local import errors, metadata
from training_operator.local.registry import Registry

_pending: set[asyncio.Task[None]] = set()


async def record(
    registry: Registry,
    obj: dict[str, Any],
    *,
    reason: str,
    message: str,
    component: str,
    type_: str = "Normal",
) -> None:
    """Create one Event about `obj` in its namespace."""
    events = registry.catalog.by_key("/events")
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    if events is None:
        return
    now = metadata.timestamp(datetime.datetime.now(datetime.UTC))
    body = {
        "metadata": {"name": f"{meta['name']}.{secrets.token_hex(8)}", "namespace": namespace},
        "involvedObject": {
            "kind": obj.get("kind", ""),
            "apiVersion": obj.get("apiVersion", ""),
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": type_,
        "count": 1,
        "source": {"component": component, "host": "local-node"},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "reportingComponent": component,
        "reportingInstance": "local-node",
    }
    try:
        await registry.create(events, namespace, body)
    except errors.ApiError:
        return


def record_soon(
    registry: Registry,
    obj: dict[str, Any],
    *,
    reason: str,
    message: str,
    component: str,
    type_: str = "Normal",
) -> None:
    """`record` from synchronous code (the task is kept referenced until it is done)."""
    task = asyncio.get_running_loop().create_task(
        record(registry, obj, reason=reason, message=message, component=component, type_=type_)
    )
    _pending.add(task)
    task.add_done_callback(_pending.discard)
