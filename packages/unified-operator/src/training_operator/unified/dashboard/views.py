"""What the pages show, as JSON-ready dicts built from raw API objects: the jobs table's rows, the job page.

Pure functions of the objects and of `now`, so every rule (which state a job is in, what counts as ready,
which container failed first) is tested without a server, a browser or a clock. Raw dicts rather than the
typed models: the dashboard must show a job the models would refuse (a newer server, a foreign field) rather
than hide it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from training_operator.core.api.status import ConditionType
from training_operator.unified.dashboard import pods, timeline
from training_operator.unified.sdk import kinds

TRUE = "True"
FINISHED = (ConditionType.SUCCEEDED.value, ConditionType.FAILED.value)
#: events listed on a job page at most (newest first)
MAX_EVENTS = 200


def job_key(kind: str, namespace: str, name: str) -> str:
    """The identity of a job across kinds, also its page's path (`/jobs/<key>`)."""
    return f"{kind}/{namespace}/{name}"


def key_of(body: Mapping[str, Any]) -> str:
    """The key of a job object."""
    meta = body.get("metadata") or {}
    return job_key(str(body.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", "")))


def slim(body: Mapping[str, Any]) -> dict[str, Any]:
    """What the pages use of a job (its pod templates, often most of it, stay out of memory)."""
    meta = body.get("metadata") or {}
    replicas = {
        key: {t: {"replicas": (s or {}).get("replicas")} for t, s in value.items()}
        for key, value in (body.get("spec") or {}).items()
        if key.endswith("ReplicaSpecs") and isinstance(value, dict)
    }
    return {
        "apiVersion": body.get("apiVersion"),
        "kind": body.get("kind"),
        "metadata": {k: meta[k] for k in ("name", "namespace", "uid", "creationTimestamp") if k in meta},
        "spec": replicas,
        "status": body.get("status") or {},
    }


def conditions(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The job's conditions in server order."""
    return list((body.get("status") or {}).get("conditions") or [])


def state(body: Mapping[str, Any]) -> str:
    """The type of the last condition that holds (Created, Running, Restarting, Succeeded, Failed,
    Suspended); empty before the operator has seen the job."""
    holding = [c for c in conditions(body) if c.get("status") == TRUE]
    return str(holding[-1].get("type", "")) if holding else ""


def moment(body: Mapping[str, Any], condition_type: str) -> float | None:
    """When a condition last became true."""
    for condition in conditions(body):
        if condition.get("type") == condition_type and condition.get("status") == TRUE:
            return timeline.stamp(condition.get("lastTransitionTime"))
    return None


def running_since(body: Mapping[str, Any]) -> float | None:
    """When the job became Running. A finished job's Running condition is False; it keeps the time it became
    True unless that was overwritten when it turned False (then it is the finish, not the start)."""
    if (since := moment(body, ConditionType.RUNNING.value)) is not None:
        return since
    ended = finished_at(body)
    for condition in conditions(body):
        if condition.get("type") == ConditionType.RUNNING.value and ended is not None:
            at = timeline.stamp(condition.get("lastTransitionTime"))
            return at if at is not None and at < ended else None
    return None


def finished_at(body: Mapping[str, Any]) -> float | None:
    """When the job succeeded or failed; None while it has not."""
    status = body.get("status") or {}
    ends = [moment(body, t) for t in FINISHED]
    return timeline.stamp(status.get("completionTime")) or next((t for t in ends if t is not None), None)


def replica_specs(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The `<x>ReplicaSpecs` map of any kind."""
    for key, value in (body.get("spec") or {}).items():
        if key.endswith("ReplicaSpecs") and isinstance(value, dict):
            return {str(t): s or {} for t, s in value.items()}
    return {}


def replica_counts(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per replica type: total from the spec, active (running) / succeeded / failed from the status."""
    statuses = (body.get("status") or {}).get("replicaStatuses") or {}
    counts = []
    for replica_type, spec in replica_specs(body).items():
        total = spec.get("replicas")
        found = statuses.get(replica_type) or {}
        counts.append(
            {
                "type": replica_type,
                "total": total if isinstance(total, int) else 1,
                **{k: int(found.get(k) or 0) for k in ("active", "succeeded", "failed")},
            }
        )
    return counts


def summary(body: Mapping[str, Any]) -> dict[str, Any]:
    """One row of the jobs table."""
    meta = body.get("metadata") or {}
    status = body.get("status") or {}
    created = timeline.stamp(meta.get("creationTimestamp"))
    return {
        "key": key_of(body),
        "kind": str(body.get("kind", "")),
        "namespace": str(meta.get("namespace", "")),
        "name": str(meta.get("name", "")),
        "state": state(body),
        "created": created,
        "started": timeline.stamp(status.get("startTime")) or created,
        "finished": finished_at(body),
        "replicas": replica_counts(body),
    }


def condition_rows(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The conditions as the page's timeline draws them, oldest transition first."""
    rows = [
        {
            "type": str(c.get("type", "")),
            "status": str(c.get("status", "")),
            "reason": str(c.get("reason") or ""),
            "message": str(c.get("message") or ""),
            "at": timeline.stamp(c.get("lastTransitionTime")),
        }
        for c in conditions(body)
    ]
    return sorted(rows, key=lambda row: row["at"] or 0.0)


def belongs(event: Mapping[str, Any], kind: str, job: str) -> bool:
    """Whether an event in the job's namespace is about the job or one of its children (named `<job>-…`)."""
    involved = event.get("involvedObject") or {}
    name = str(involved.get("name", ""))
    return (name == job and involved.get("kind") == kind) or name.startswith(f"{job}-")


def event_rows(events: Iterable[Mapping[str, Any]], kind: str, job: str) -> list[dict[str, Any]]:
    """The job's and its children's events, newest first, at most MAX_EVENTS."""
    rows = []
    for event in events:
        if not belongs(event, kind, job):
            continue
        involved = event.get("involvedObject") or {}
        meta = event.get("metadata") or {}
        at = event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
        rows.append(
            {
                "at": timeline.stamp(at or meta.get("creationTimestamp")),
                "type": str(event.get("type", "")),
                "reason": str(event.get("reason", "")),
                "object": f"{involved.get('kind', '')}/{involved.get('name', '')}",
                "message": str(event.get("message", "")),
                "count": int(event.get("count") or 1),
            }
        )
    rows.sort(key=lambda row: row["at"] or 0.0, reverse=True)
    return rows[:MAX_EVENTS]


def job_page(
    body: Mapping[str, Any] | None,
    *,
    ref: kinds.KindRef,
    job_pods: Sequence[Mapping[str, Any]],
    history: timeline.PodHistory,
    failures: Sequence[pods.Failure],
    events: Iterable[Mapping[str, Any]],
    now: float,
) -> dict[str, Any]:
    """Everything the job page shows; `job` is None while the job does not exist (yet, or any more)."""
    if body is None:
        return {"now": now, "job": None}
    created = timeline.stamp((body.get("metadata") or {}).get("creationTimestamp")) or now
    ended = finished_at(body)
    end = max(ended or now, created + 1.0)
    name = str((body.get("metadata") or {}).get("name", ""))
    troubled = state(body) in (ConditionType.FAILED.value, ConditionType.RESTARTING.value)
    return {
        "now": now,
        "job": summary(body),
        "conditions": condition_rows(body),
        "chart": {
            "start": created,
            "end": end,
            "running": running_since(body),
            "finished": ended,
            **history.chart(start=created, end=end),
        },
        "events": event_rows(events, ref.kind, name),
        "pods": pods.tabs(job_pods),
        # the first failed run explains a failure best: later ones are often replicas stopped because of it
        "failure": failures[0].wire() if troubled and failures else None,
        "defaultContainer": ref.default_container,
    }
