"""Gang scheduling: the PodGroup a job owns and whether its pods must wait for it (common.md §14).

Volcano and scheduler-plugins PodGroups differ only in API and spec fields; both are one extra child named
after the job, written only when its spec differs (upstream updates on every reconcile).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine import owner, quantity
from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, KindInfo

VOLCANO_API = "scheduling.volcano.sh/v1beta1"
SCHEDULER_PLUGINS_API = "scheduling.x-k8s.io/v1alpha1"
POD_GROUP = "PodGroup"
DEFAULT_QUEUE = "default"
_MANAGED = {
    "volcano": ("minMember", "queue", "priorityClassName", "minResources"),
    "scheduler-plugins": ("minMember", "minResources", "scheduleTimeoutSeconds"),
}


def api_version(mode: str) -> str:
    """The PodGroup API of a gang-scheduling mode."""
    return VOLCANO_API if mode == "volcano" else SCHEDULER_PLUGINS_API


def existing(job: JobModel, observed: Snapshot, mode: str) -> ObjectRecord | None:
    """The job's PodGroup of this mode, if the index has one."""
    found = observed.object(POD_GROUP, job.name)
    if found is None or found.api_version != api_version(mode) or found.deleting:
        return None
    return found


def terminating(job: JobModel, observed: Snapshot, mode: str) -> ObjectRecord | None:
    """A PodGroup of this mode at the job's name that is being deleted (whoever owns it)."""
    found = observed.object(POD_GROUP, job.name)
    if found is None or found.api_version != api_version(mode) or not found.deleting:
        return None
    return found


def total_replicas(job: JobModel) -> int:
    """Sum of replicas over all types, an unset count being 1 (§10.1)."""
    return sum(1 if s is None or s.replicas is None else s.replicas for s in job.replica_specs().values())


def desired(
    job: JobModel,
    kind: KindInfo,
    mode: str,
    current: ObjectRecord | None,
    options: EngineOptions,
    priority_classes: Mapping[str, int],
) -> dict[str, Any]:
    """The whole PodGroup body for this job (§14.2, §14.3)."""
    policy = job.run_policy.scheduling_policy
    min_member = policy.min_available if policy and policy.min_available is not None else total_replicas(job)
    resources = dict(policy.min_resources) if policy and policy.min_resources is not None else None
    if resources is None:
        resources = min_resources(job, kind, min_member, priority_classes)
    spec: dict[str, Any] = {"minMember": min_member}
    if mode == "volcano":
        sticky = str(((current.body.get("spec") or {}) if current else {}).get("queue") or "")
        spec["queue"] = sticky or (policy.queue if policy and policy.queue else DEFAULT_QUEUE)
        if policy and policy.priority_class:
            spec["priorityClassName"] = policy.priority_class
    elif policy and policy.schedule_timeout_seconds is not None:
        spec["scheduleTimeoutSeconds"] = policy.schedule_timeout_seconds
    if resources:
        spec["minResources"] = resources
    return pod_group(job, mode, spec, annotations=job.metadata.annotations)


def pod_group(
    job: JobModel, mode: str, spec: Mapping[str, Any], *, annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The PodGroup object of a job: named after it, in its namespace, controlled by it, with this spec.
    Every kind's gang goes through here (the v1 engine's `desired`, MPIJob's own spec rules)."""
    metadata: dict[str, Any] = {
        "name": job.name,
        "namespace": job.namespace,
        "ownerReferences": [owner.controller_reference(job)],
    }
    if annotations:
        metadata["annotations"] = dict(annotations)
    return {"apiVersion": api_version(mode), "kind": POD_GROUP, "metadata": metadata, "spec": dict(spec)}


def mode_api_version(options: EngineOptions) -> str | None:
    """The PodGroup API of the configured gang scheduler, None when gang scheduling is off."""
    mode = options.gang_scheduling
    return None if mode is None else api_version(mode)


def min_resources(
    job: JobModel, kind: KindInfo, min_member: int, priorities: Mapping[str, int]
) -> dict[str, str]:
    """Requests (or limits, where a container declares no requests) of the first `min_member` pods.

    Visited by PriorityClass value, highest first, ties by canonical type order then name: a deterministic
    fix of upstream's random order (Q4).
    """
    order = {name: i for i, name in enumerate(kind.replica_types)}

    def rank(item: tuple[str, Any]) -> tuple[int, int, str]:
        template_spec = item[1].template.get("spec") or {}
        priority = priorities.get(str(template_spec.get("priorityClassName") or ""), 0)
        return (-priority, order.get(item[0], len(order)), item[0])

    total: dict[str, quantity.Quantity] = {}
    counted = 0
    specs = [(k, s) for k, s in job.replica_specs().items() if s is not None]
    for _, spec in sorted(specs, key=rank):
        pods = min(spec.replicas or 0, max(min_member - counted, 0))
        counted += pods
        containers = (spec.template.get("spec") or {}).get("containers") or []
        for container in containers if pods else []:
            resources = container.get("resources") or {}
            declared = resources.get("requests") or resources.get("limits") or {}
            try:
                quantity.add_lists(total, declared, times=pods)
            except ValueError as error:
                raise ReconcileError(f"cannot compute PodGroup minResources: {error}") from None
    return quantity.render(dict(sorted(total.items())))


def spec_patch(current: ObjectRecord, wanted: Mapping[str, Any], mode: str) -> dict[str, Any]:
    """A merge patch taking the PodGroup's managed spec fields to the wanted ones; empty when equal."""
    have = current.body.get("spec") or {}
    want = wanted["spec"]
    patch: dict[str, Any] = {}
    for key in _MANAGED[mode]:
        if have.get(key) != want.get(key):
            patch[key] = _replace(have.get(key), want.get(key))
    return {"spec": patch} if patch else {}


def _replace(old: Any, new: Any) -> Any:
    """A merge-patch value that makes `old` equal `new` (keys to drop become None)."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return {**{k: None for k in old if k not in new}, **new}
    return new


def must_wait(mode: str, current: ObjectRecord | None) -> bool:
    """Volcano pods wait until the PodGroup exists and its phase is past Pending (§14.4)."""
    if mode != "volcano":
        return False
    if current is None:
        return True
    phase = str((current.body.get("status") or {}).get("phase") or "")
    return phase in ("", "Pending")
