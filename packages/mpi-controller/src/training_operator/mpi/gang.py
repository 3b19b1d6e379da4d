"""Gang scheduling for MPIJob (mpi.md §15): one PodGroup `<name>` whose minMember counts the launcher.

The object, its API per scheduler and its owner come from core's gang code (`core.engine.gang`); what is
MPIJob's own is upstream mpi-operator's spec rules: the queue from the job's annotation, the priority class
from a template, scheduleTimeoutSeconds always written, and minResources with its launcher/worker tie rule
(Q9), added with Kubernetes quantity semantics by core's `quantity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core import labels
from training_operator.core.engine import gang as core_gang
from training_operator.core.engine import quantity
from training_operator.core.framework import EngineOptions
from training_operator.mpi.api import LAUNCHER, WORKER, MPIJob

VOLCANO = "volcano"
KIND = core_gang.POD_GROUP
api_version = core_gang.mode_api_version


def decorate(job: MPIJob, meta: dict[str, Any], pod: dict[str, Any], *, options: EngineOptions) -> None:
    """Point a pod (template) at the gang scheduler and its PodGroup; a user schedulerName is overwritten."""
    mode = options.gang_scheduling
    if mode is None:
        return
    if mode == VOLCANO:
        pod["schedulerName"] = VOLCANO
        meta["annotations"] = {**(meta.get("annotations") or {}), labels.VOLCANO_GROUP_NAME: job.name}
    else:
        pod["schedulerName"] = options.gang_scheduler_name
        meta["labels"] = {**(meta.get("labels") or {}), labels.SCHEDULER_PLUGINS_POD_GROUP: job.name}


def pod_group(
    job: MPIJob, *, options: EngineOptions, priority_classes: Mapping[str, int]
) -> dict[str, Any] | None:
    """The desired PodGroup, None when gang scheduling is off."""
    mode = options.gang_scheduling
    if mode is None:
        return None
    policy = job.run_policy.scheduling_policy
    min_member = job.worker_replicas + 1
    if policy is not None and policy.min_available is not None:
        min_member = policy.min_available
    resources = min_resources(job, min_member, priority_classes=priority_classes)
    spec: dict[str, Any] = {"minMember": min_member}
    if mode == VOLCANO:
        spec["queue"] = (policy and policy.queue) or (job.metadata.annotations or {}).get(
            labels.VOLCANO_QUEUE_NAME, ""
        )
        spec["priorityClassName"] = (policy and policy.priority_class) or _template_priority_class(job)
        if resources is not None:
            spec["minResources"] = resources
    else:
        timeout = policy.schedule_timeout_seconds if policy is not None else None
        spec["scheduleTimeoutSeconds"] = timeout or 0
        if resources:
            spec["minResources"] = resources
    return core_gang.pod_group(job, mode, spec)  # upstream copies no annotations onto MPI's PodGroup


def _template_priority_class(job: MPIJob) -> str:
    for replica_type in (LAUNCHER, WORKER):
        spec = job.replica(replica_type)
        name = spec and (spec.template.get("spec") or {}).get("priorityClassName")
        if name:
            return str(name)
    return ""


def min_resources(
    job: MPIJob, min_member: int, *, priority_classes: Mapping[str, int]
) -> dict[str, Any] | None:
    """schedulingPolicy.minResources, or the requests of the first minMember pods by priority (§15)."""
    policy = job.run_policy.scheduling_policy
    if policy is not None and policy.min_resources is not None:
        return dict(policy.min_resources)
    if min_member == 0:
        return None
    entries: list[_Entry] = []
    for replica_type in (LAUNCHER, WORKER):
        spec = job.replica(replica_type)
        if spec is None:
            continue
        pod = spec.template.get("spec") or {}
        priority = priority_classes.get(str(pod.get("priorityClassName") or ""), 0)
        count = 1 if replica_type == LAUNCHER else job.worker_replicas
        entries.append(_Entry(priority, replica_type, count, pod))
    entries.sort(key=lambda entry: -entry.priority)  # stable: Launcher before Worker on equal priority
    if len(entries) == 2 and entries[0].count + entries[1].count > min_member:
        # upstream reduces the Worker count on a tie, otherwise the lower-priority entry's (Q9)
        tie = entries[0].priority == entries[1].priority
        reduced = next(e for e in entries if e.replica_type == WORKER) if tie else entries[1]
        reduced.count = min_member - 1
    total: dict[str, quantity.Quantity] = {}
    for entry in entries:
        for container in entry.pod.get("containers") or []:
            quantity.add_lists(total, _container_resources(container), times=entry.count)
    return quantity.render(total)


@dataclass(slots=True)
class _Entry:
    """One replica type's share of minResources."""

    priority: int
    replica_type: str
    count: int
    pod: dict[str, Any]


def _container_resources(container: dict[str, Any]) -> dict[str, Any]:
    """Requests, a limit standing in for each resource name without a request (mpi.md §15)."""
    resources = container.get("resources") or {}
    merged = dict(resources.get("requests") or {})
    for name, amount in (resources.get("limits") or {}).items():
        merged.setdefault(name, amount)
    return merged
