"""Pods, logs and events as the clients hand them back, in the shapes Kubeflow's SDK returns.

Kubeflow returns `V1Pod` objects and `(logs by pod, events by object)`; both clients build those here from
plain JSON, so the sync and async twins answer identically.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any


class _Raw:
    """Adapter for the pre-v35 kubernetes client, whose `deserialize` takes a response with `.data`."""

    def __init__(self, data: str) -> None:
        self.data = data


def as_pods(items: Iterable[Mapping[str, Any]]) -> list[Any]:
    """`kubernetes.client.V1Pod` objects, as Kubeflow's `get_job_pods` returns (`pod.metadata.name` works)."""
    from kubernetes.client import ApiClient  # Kubeflow's V1Pod objects: loaded only when pods are asked for

    api: Any = ApiClient()  # its `deserialize` signature changed in kubernetes 35
    pods = []
    for item in items:
        text = json.dumps(item)
        try:
            pods.append(api.deserialize(text, "V1Pod", "application/json"))
        except TypeError:  # kubernetes < 35: deserialize(response, type)
            pods.append(api.deserialize(_Raw(text), "V1Pod"))
    return pods


def event_lines(events: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Kubeflow's verbose-log shape: `<kind lower>/<name>` → `"YYYY-mm-dd HH:MM:SS <message>"` lines."""
    found: dict[str, list[str]] = {}
    for event in sorted(events, key=event_time):
        involved = event.get("involvedObject") or {}
        key = f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"
        found.setdefault(key, []).append(f"{_clock(event_time(event))} {event.get('message', '')}".strip())
    return found


def event_time(event: Mapping[str, Any]) -> str:
    """The best timestamp an event carries (events v1 and core v1 fill different fields)."""
    meta = event.get("metadata") or {}
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or meta.get("creationTimestamp")
        or ""
    )


def _clock(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def events_selector(kind: str, name: str) -> str:
    """Server-side filter for one object's events (Kubeflow lists the whole namespace instead)."""
    return f"involvedObject.kind={kind},involvedObject.name={name}"


def prefixed(pod: str, line: str) -> str:
    """How followed logs are printed, as Kubeflow prints them."""
    return f"[Pod {pod}]: {line}"


def print_line(pod: str, line: str) -> None:
    """The default sink of followed logs: print as Kubeflow does, at once."""
    print(prefixed(pod, line), flush=True)
