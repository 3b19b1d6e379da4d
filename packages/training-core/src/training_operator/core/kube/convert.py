"""API objects (JSON dicts) → the slim, frozen records of `core.engine.observed`.

The index keeps only these records, so memory stays flat for tens of thousands of pods and the engine never
sees a full pod. Strings that repeat from child to child (label keys and most values, the owner's uid,
phases, condition types, timestamps to the second) are interned: JSON parsing makes a fresh copy of each
for every object, and those copies were most of a record's size. Pure functions: the watcher and the writer
(for optimistic index updates) share them.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from training_operator.core.engine.observed import (
    ContainerRecord,
    FrozenLabels,
    ObjectRecord,
    PodConditionRecord,
    PodRecord,
    ServiceRecord,
)

Record = PodRecord | ServiceRecord | ObjectRecord


def _shared(text: str) -> str:
    """One copy of a string that many children repeat."""
    return sys.intern(str(text))


_PAIRS: dict[tuple[str, str], tuple[str, str]] = {}
_PAIRS_LIMIT = 50_000


def _shared_map(mapping: Mapping[str, Any] | None) -> FrozenLabels:
    """A compact label map made of shared (key, value) pairs: most pairs (job name, replica type, operator
    name) repeat across a job's children. The pair cache is emptied when it fills, never grown unbounded."""
    if len(_PAIRS) >= _PAIRS_LIMIT:
        _PAIRS.clear()
    pairs = []
    for key, value in sorted((mapping or {}).items()):
        pair = (_shared(key), _shared(value))
        pairs.append(_PAIRS.setdefault(pair, pair))
    return FrozenLabels(tuple(pairs))


_COMMON: dict[tuple[Any, ...], tuple[Any, ...]] = {}
_COMMON_LIMIT = 10_000


_Records = TypeVar("_Records", bound=tuple[Any, ...])


def _common(records: _Records) -> _Records:
    """One copy of a tuple of frozen records that many pods share (all of a job's running containers look
    alike, so do their Ready conditions); the cache is emptied when it fills, never grown without bound."""
    if len(_COMMON) >= _COMMON_LIMIT:
        _COMMON.clear()
    return cast(_Records, _COMMON.setdefault(records, records))


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
        labels=_shared_map(meta.get("labels")),
        phase=_shared(status.get("phase") or "Pending"),
        deleting=bool(meta.get("deletionTimestamp")),
        reason=status.get("reason") or "",
        message=status.get("message") or "",
        containers=_common(tuple(container_record(c) for c in status.get("containerStatuses") or [])),
        init_containers=_common(
            tuple(container_record(c) for c in status.get("initContainerStatuses") or [])
        ),
        conditions=_common(tuple(_condition(c) for c in status.get("conditions") or [])),
        creation_timestamp=_shared(meta.get("creationTimestamp") or ""),
        controller=_controller(pod),
    )


def container_record(status: Mapping[str, Any]) -> ContainerRecord:
    """One container status; a terminated current state wins over the last one (restart rules)."""
    state = status.get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    exit_code = terminated.get("exitCode")
    return ContainerRecord(
        name=_shared(status.get("name", "")),
        restart_count=int(status.get("restartCount") or 0),
        exit_code=None if exit_code is None else int(exit_code),
        terminated_reason=_shared(terminated.get("reason") or ""),
        terminated_message=terminated.get("message") or "",
        waiting_reason=_shared(waiting.get("reason") or ""),
        waiting_message=waiting.get("message") or "",
        running="running" in state,
    )


def _condition(condition: Mapping[str, Any]) -> PodConditionRecord:
    return PodConditionRecord(
        type=_shared(condition.get("type", "")),
        status=_shared(condition.get("status", "")),
        reason=_shared(condition.get("reason") or ""),
        message=condition.get("message") or "",
        last_transition_time=_shared(condition.get("lastTransitionTime") or ""),
    )


def service_record(service: Mapping[str, Any]) -> ServiceRecord:
    """A service: identity, labels, and the two spec fields MPI reconciles."""
    meta = service.get("metadata") or {}
    spec = service.get("spec") or {}
    return ServiceRecord(
        name=meta.get("name", ""),
        uid=meta.get("uid", ""),
        owner_uid=_owner_uid(service),
        labels=_shared_map(meta.get("labels")),
        deleting=bool(meta.get("deletionTimestamp")),
        selector=_shared_map(spec.get("selector")),
        publish_not_ready_addresses=bool(spec.get("publishNotReadyAddresses", False)),
        controller=_controller(service),
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
        controller=_controller(obj),
    )


def _owner_uid(obj: Mapping[str, Any]) -> str:
    ref = controller_of(obj)
    return _shared(ref.get("uid", "")) if ref else ""


def _controller(obj: Mapping[str, Any]) -> str:
    """`Kind/name` of the controller owner: a job's own children all share one interned string."""
    ref = controller_of(obj)
    return _shared(f"{ref.get('kind', '')}/{ref.get('name', '')}") if ref else ""
