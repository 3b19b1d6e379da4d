"""`meta.k8s.io/v1` Table responses, so `kubectl get` prints the same columns as on a real cluster.

kubectl asks for a Table in its Accept header; the server renders built-in types with upstream's main
columns and custom resources with their CRD's `additionalPrinterColumns`.
"""

import datetime
from collections.abc import Callable
from typing import Any

from training_operator.local import jsonpath, metadata
from training_operator.local.resources import ResourceType

Obj = dict[str, Any]
Column = tuple[str, str, Callable[[Obj, datetime.datetime], Any]]


def human_age(created: str | None, now: datetime.datetime) -> str:
    """kubectl's short duration: 42s, 5m3s, 3h, 2d, as `duration.HumanDuration` prints."""
    if not created:
        return "<unknown>"
    seconds = int((now - metadata.parse_timestamp(created)).total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def _age(obj: Obj, now: datetime.datetime) -> str:
    return human_age(obj["metadata"].get("creationTimestamp"), now)


def _pod_ready(obj: Obj, _now: datetime.datetime) -> str:
    statuses = obj.get("status", {}).get("containerStatuses") or []
    total = len(obj.get("spec", {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: Obj, _now: datetime.datetime) -> str:
    status = obj.get("status") or {}
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    for key in ("initContainerStatuses", "containerStatuses"):
        for container in status.get(key) or []:
            state = container.get("state") or {}
            if "waiting" in state and state["waiting"].get("reason"):
                return str(state["waiting"]["reason"])
            if "terminated" in state and status.get("phase") not in ("Succeeded", "Failed", "Running"):
                return str(state["terminated"].get("reason") or "Error")
    return str(status.get("reason") or status.get("phase") or "Pending")


def _restarts(obj: Obj, _now: datetime.datetime) -> int:
    return sum(s.get("restartCount", 0) for s in obj.get("status", {}).get("containerStatuses") or [])


def _job_status(obj: Obj, _now: datetime.datetime) -> str:
    for condition in obj.get("status", {}).get("conditions") or []:
        if condition.get("status") == "True" and condition.get("type") in ("Complete", "Failed", "Suspended"):
            return str(condition["type"])
    return "Running"


def _service_ports(obj: Obj, _now: datetime.datetime) -> str:
    ports = obj.get("spec", {}).get("ports") or []
    return ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports) or "<none>"


def _involved(event: Obj) -> str:
    involved = event.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


def _get(*path: str, default: Any = "") -> Callable[[Obj, datetime.datetime], Any]:
    def read(obj: Obj, _now: datetime.datetime) -> Any:
        value: Any = obj
        for part in path:
            value = value.get(part) if isinstance(value, dict) else None
        return default if value is None else value

    return read


_NAME: Column = ("Name", "string", lambda o, _n: o["metadata"]["name"])
_AGE: Column = ("Age", "string", _age)
BUILTIN_COLUMNS: dict[str, list[Column]] = {
    "/pods": [
        _NAME,
        ("Ready", "string", _pod_ready),
        ("Status", "string", _pod_status),
        ("Restarts", "integer", _restarts),
        _AGE,
        ("IP", "string", _get("status", "podIP", default="<none>")),
        ("Node", "string", _get("spec", "nodeName", default="<none>")),
    ],
    "batch/jobs": [
        _NAME,
        ("Status", "string", _job_status),
        (
            "Completions",
            "string",
            lambda o, _n: f"{o.get('status', {}).get('succeeded', 0)}/{o['spec'].get('completions', 1)}",
        ),
        _AGE,
    ],
    "/services": [
        _NAME,
        ("Type", "string", _get("spec", "type")),
        ("Cluster-IP", "string", _get("spec", "clusterIP", default="<none>")),
        ("External-IP", "string", lambda _o, _n: "<none>"),
        ("Port(s)", "string", _service_ports),
        _AGE,
    ],
    "/namespaces": [_NAME, ("Status", "string", _get("status", "phase")), _AGE],
    "/configmaps": [
        _NAME,
        ("Data", "integer", lambda o, _n: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        _AGE,
    ],
    "/secrets": [
        _NAME,
        ("Type", "string", _get("type")),
        ("Data", "integer", lambda o, _n: len(o.get("data") or {})),
        _AGE,
    ],
    "/events": [
        (
            "Last Seen",
            "string",
            lambda o, n: human_age(
                o.get("lastTimestamp") or o.get("eventTime") or o["metadata"].get("creationTimestamp"), n
            ),
        ),
        ("Type", "string", _get("type")),
        ("Reason", "string", _get("reason")),
        (
            "Object",
            "string",
            lambda o, _n: _involved(o),
        ),
        ("Message", "string", _get("message")),
    ],
    "apiextensions.k8s.io/customresourcedefinitions": [
        _NAME,
        ("Created At", "date", _get("metadata", "creationTimestamp")),
    ],
}


def _custom_columns(rtype: ResourceType, version: str) -> list[tuple[Column, int]]:
    declared = (rtype.printer_columns or {}).get(version) or []
    if not declared:
        return [(_NAME, 0), (_AGE, 0)]
    columns: list[tuple[Column, int]] = [(_NAME, 0)]
    for spec in declared:
        path = spec.get("jsonPath", "")

        def cell(
            obj: Obj, now: datetime.datetime, path: str = path, kind: str = spec.get("type", "string")
        ) -> Any:
            values = jsonpath.evaluate(obj, path)
            if not values:
                return None
            if kind == "date":
                return human_age(str(values[0]), now)
            return values[0] if len(values) == 1 else ",".join(str(v) for v in values)

        columns.append(((spec["name"], spec.get("type", "string"), cell), int(spec.get("priority", 0))))
    return columns


def table(
    rtype: ResourceType,
    version: str,
    items: list[Obj],
    *,
    list_meta: dict[str, Any],
    include_object: str,
    now: datetime.datetime,
) -> dict[str, Any]:
    """A Table of `items`; `include_object` is None, Metadata (the default) or Object."""
    if rtype.is_custom:
        columns = _custom_columns(rtype, version)
    else:
        columns = [
            (c, 1 if c[0] in ("IP", "Node") else 0) for c in BUILTIN_COLUMNS.get(rtype.key, [_NAME, _AGE])
        ]
    rows = []
    for obj in items:
        row: dict[str, Any] = {"cells": [fn(obj, now) for (_n, _t, fn), _p in columns]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": [
            {
                "name": name,
                "type": "string" if kind == "date" else kind,
                "format": "name" if name == "Name" else "",
                "description": name,
                "priority": priority,
            }
            for (name, kind, _fn), priority in columns
        ],
        "rows": rows,
    }
