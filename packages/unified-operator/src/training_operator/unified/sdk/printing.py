"""How the CLI shows jobs: kubectl-like tables, ages and `describe` text.

Pure functions of the jobs and of `now`, so the output is tested exactly without a cluster or a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.unified.sdk import jobs, logs


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


def job_table(found: Iterable[JobModel], now: datetime, *, with_kind: bool) -> str:
    """NAME, STATE (last condition type), AGE; KIND first when several kinds are listed."""
    header = ["KIND", "NAME", "STATE", "AGE"] if with_kind else ["NAME", "STATE", "AGE"]
    rows = [header]
    for job in found:
        row = [job.name, jobs.state(job), age(job.metadata.creation_timestamp, now)]
        rows.append([job.kind, *row] if with_kind else row)
    return table(rows)


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
        [logs.event_time(e), str(e.get("type", "")), str(e.get("reason", "")), str(e.get("message", ""))]
        for e in events
    ]
    return table(rows)


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def progress(what: str, condition: Any) -> str:
    """One progress line of `wait`: a condition that changed."""
    detail = " ".join(p for p in (condition.reason, condition.message) if p)
    return f"{what}: {condition.type}={condition.status}" + (f" ({detail})" if detail else "")
