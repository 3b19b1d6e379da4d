"""API objects (JSON dicts) → the slim, frozen records of `core.engine.observed`.

The index keeps only these records, so memory stays flat for tens of thousands of pods and the engine never
sees a full pod. Pure functions: the watcher and the writer (for optimistic index updates) share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training_operator.core.engine.observed import (
    ContainerRecord,
    ObjectRecord,
    PodConditionRecord,
    PodRecord,
    ServiceRecord,
)

Record = PodRecord | ServiceRecord | ObjectRecord


def controller_of(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The ownerReference with `controller: true`, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def record(obj: Mapping[str, Any]) -> Record:
    """The record for any child object, chosen by its kind."""
    kind = obj.get("kind")
    if kind == "Pod":
        return pod_record(obj)
    if kind == "Service":
        return service_record(obj)
    return object_record(obj)


def pod_record(pod: Mapping[str, Any]) -> PodRecord:
    """What the engine reads of a pod (common.md §6, §16.2)."""
    meta = pod.get("metadata") or {}
    status = pod.get("status") or {}
    return PodRecord(
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owner_uid=_owner_uid(pod),
        labels=dict(meta.get("labels") or {}),
        phase=status.get("phase") or "Pending",
        deleting=bool(meta.get("deletionTimestamp")),
        reason=status.get("reason") or "",
        message=status.get("message") or "",
        containers=tuple(container_record(c) for c in status.get("containerStatuses") or []),
        init_containers=tuple(container_record(c) for c in status.get("initContainerStatuses") or []),
        conditions=tuple(_condition(c) for c in status.get("conditions") or []),
        creation_timestamp=meta.get("creationTimestamp") or "",
        resource_version=meta.get("resourceVersion") or "",
    )


def container_record(status: Mapping[str, Any]) -> ContainerRecord:
    """One container status; a terminated current state wins over the last one (restart rules)."""
    state = status.get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    exit_code = terminated.get("exitCode")
    return ContainerRecord(
        name=status.get("name", ""),
        restart_count=int(status.get("restartCount") or 0),
        exit_code=None if exit_code is None else int(exit_code),
        terminated_reason=terminated.get("reason") or "",
        terminated_message=terminated.get("message") or "",
        waiting_reason=waiting.get("reason") or "",
        waiting_message=waiting.get("message") or "",
        running="running" in state,
    )


def _condition(condition: Mapping[str, Any]) -> PodConditionRecord:
    return PodConditionRecord(
        type=condition.get("type", ""),
        status=condition.get("status", ""),
        reason=condition.get("reason") or "",
        message=condition.get("message") or "",
        last_transition_time=condition.get("lastTransitionTime") or "",
    )


def service_record(service: Mapping[str, Any]) -> ServiceRecord:
    """A service: identity, labels, and the two spec fields MPI reconciles."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    return ServiceRecord(
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owner_uid=_owner_uid(service),
        labels=dict(meta.get("labels") or {}),
        deleting=bool(meta.get("deletionTimestamp")),
        selector=dict(spec.get("selector") or {}),
        publish_not_ready_addresses=bool(spec.get("publishNotReadyAddresses", False)),
    )


def object_record(obj: Mapping[str, Any]) -> ObjectRecord:
    """Any other child, kept whole minus noise; a Secret keeps its keys but never its values."""
    meta = dict(obj.get("metadata") or {})
    meta.pop("managedFields", None)
    body = {**obj, "metadata": meta}
    if obj.get("kind") == "Secret":
        body["data"] = {key: "" for key in obj.get("data") or {}}
        body.pop("stringData", None)
    return ObjectRecord(
        api_version=obj.get("apiVersion", ""),
        kind=obj.get("kind", ""),
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owner_uid=_owner_uid(obj),
        deleting=bool(meta.get("deletionTimestamp")),
        body=body,
    )


def _owner_uid(obj: Mapping[str, Any]) -> str:
    ref = controller_of(obj)
    return str(ref.get("uid", "")) if ref else ""
