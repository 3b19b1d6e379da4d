"""How the CLI shows jobs: kubectl-like tables, ages, `describe` text, and `-o yaml|json|name|wide`.

Pure functions of the jobs and of `now`, so the output is tested exactly without a cluster or a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.unified.sdk import jobs, podoutput, watching

#: the `-o` values `get` accepts (`render` takes the last three)
FORMATS = ("table", "wide", "yaml", "json", "name")


def age(created: str | None, now: datetime) -> str:
    """kubectl's short age (`45s`, `3m`, `2h`, `4d`); `<unknown>` without a creation time."""
    if not created:
        return "<unknown>"
    seconds = int((now - datetime.fromisoformat(created.replace("Z", "+00:00"))).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2:
            return f"{seconds // size}{unit}"
    return f"{max(seconds, 0)}s"


def table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by three spaces, as kubectl prints them."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def job_table(
    found: Iterable[JobModel],
    now: datetime,
    *,
    with_kind: bool,
    with_namespace: bool = False,
    wide: bool = False,
) -> str:
    """NAME, STATE (last condition type), REPLICAS, AGE; KIND first when several kinds are listed,
    NAMESPACE before it for every namespace; `wide` adds pod counts and the last condition's reason."""
    header = [*(["NAMESPACE"] * with_namespace), *(["KIND"] * with_kind), "NAME", "STATE", "REPLICAS", "AGE"]
    rows = [header + (["SUCCEEDED", "FAILED", "REASON"] if wide else [])]
    for job in found:
        row = [*([job.namespace] * with_namespace), *([job.kind] * with_kind), job.name]
        row += [jobs.state(job) or "<none>", replicas(job), age(job.metadata.creation_timestamp, now)]
        if wide:
            row += [*_totals(job), _last_reason(job)]
        rows.append(row)
    return table(rows)


def replicas(job: JobModel) -> str:
    """`Type:ready/total` for each replica type: pods running (pods that succeeded, once the job has
    finished) over the replicas the spec asks for."""
    statuses = (job.status.replica_statuses if job.status else None) or {}
    finished = watching.finished(job)
    cells = []
    for replica_type, spec in job.replica_specs().items():
        total = 1 if spec is None or spec.replicas is None else spec.replicas
        status = statuses.get(replica_type)
        ready = ((status.succeeded if finished else status.active) or 0) if status else 0
        cells.append(f"{replica_type}:{ready}/{total}")
    return ",".join(cells) or "<none>"


def _totals(job: JobModel) -> list[str]:
    statuses = ((job.status.replica_statuses if job.status else None) or {}).values()
    return [str(sum(s.succeeded or 0 for s in statuses)), str(sum(s.failed or 0 for s in statuses))]


def _last_reason(job: JobModel) -> str:
    found = jobs.conditions(job)
    return (found[-1].reason or "") if found else ""


def object_name(body: Mapping[str, Any]) -> str:
    """kubectl's `-o name`: `<kind>.<group>/<name>`, no group for the core API (`pod/x`)."""
    group, _, _ = str(body.get("apiVersion", "")).rpartition("/")
    kind = str(body.get("kind", "")).lower()
    return (
        f"{kind}.{group}/{(body.get('metadata') or {}).get('name', '')}"
        if group
        else f"{kind}/{(body.get('metadata') or {}).get('name', '')}"
    )


def documents(bodies: Sequence[Mapping[str, Any]], output: str, *, single: bool, stream: bool = False) -> str:
    """Objects as `-o yaml|json|name` prints them: the object when one was asked for by name, else a
    `List` as kubectl prints it; `stream` prints YAML as one document per object instead (`render`)."""
    if output == "name":
        return "".join(f"{object_name(body)}\n" for body in bodies)
    listed = {"apiVersion": "v1", "kind": "List", "items": list(bodies)}
    if output == "json":
        return json.dumps(bodies[0] if single else listed, indent=4) + "\n"
    from training_operator.unified import emitter  # PyYAML's own dumper is slow for large renders

    return emitter.dump_all(bodies if stream or single else [listed])


def describe(job: JobModel, events: Sequence[Mapping[str, Any]], now: datetime) -> str:
    """Spec summary, conditions, replica statuses and events of one job."""
    meta = job.metadata
    lines = [
        f"Name:         {job.name}",
        f"Namespace:    {job.namespace}",
        f"Kind:         {job.kind} ({job.api_version})",
        f"Created:      {meta.creation_timestamp or '<unknown>'} ({age(meta.creation_timestamp, now)} ago)",
        f"State:        {jobs.state(job) or '<none>'}",
        "Replicas:",
    ]
    for replica_type, spec in job.replica_specs().items():
        replicas = 1 if spec is None or spec.replicas is None else spec.replicas
        containers = ((spec.template if spec else {}).get("spec") or {}).get("containers") or []
        images = ", ".join(str(c.get("image")) for c in containers) or "<none>"
        policy = spec.restart_policy.value if spec and spec.restart_policy else "<default>"
        lines.append(f"  {replica_type}: {replicas} x {images} (restartPolicy {policy})")
    run_policy = job.run_policy.to_wire()
    lines.append(f"Run policy:   {run_policy or '<none>'}")
    lines += ["Conditions:", _indent(_conditions(job))]
    lines += ["Replica statuses:", _indent(_replica_statuses(job))]
    lines += ["Events:", _indent(event_table(events))]
    return "\n".join(lines)


def _conditions(job: JobModel) -> str:
    found = jobs.conditions(job)
    if not found:
        return "<none>"
    rows = [["TYPE", "STATUS", "REASON", "LAST TRANSITION", "MESSAGE"]]
    rows += [[c.type, c.status, c.reason or "", c.last_transition_time or "", c.message or ""] for c in found]
    return table(rows)


def _replica_statuses(job: JobModel) -> str:
    statuses = (job.status.replica_statuses if job.status else None) or {}
    if not statuses:
        return "<none>"
    rows = [["TYPE", "ACTIVE", "SUCCEEDED", "FAILED"]]
    rows += [[t, str(s.active or 0), str(s.succeeded or 0), str(s.failed or 0)] for t, s in statuses.items()]
    return table(rows)


def event_table(events: Sequence[Mapping[str, Any]]) -> str:
    """TIME, TYPE, REASON, MESSAGE of each event; `<none>` without any."""
    if not events:
        return "<none>"
    rows = [["TIME", "TYPE", "REASON", "MESSAGE"]]
    rows += [
        [podoutput.event_time(e), str(e.get("type", "")), str(e.get("reason", "")), str(e.get("message", ""))]
        for e in events
    ]
    return table(rows)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def progress(what: str, condition: Any) -> str:
    """One progress line of `wait`: a condition that changed."""
    detail = " ".join(p for p in (condition.reason, condition.message) if p)
    return f"{what}: {condition.type}={condition.status}" + (f" ({detail})" if detail else "")
