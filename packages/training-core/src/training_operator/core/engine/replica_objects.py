"""The bodies of the pods and headless services the engine creates (common.md §6.4, §7.3).

Both are built from the defaulted replica template, and only the fields Kubeflow copies are copied, so the
objects are byte-for-byte what the Go operator would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core import labels
from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel
from training_operator.core.engine import events, naming, owner, policy, restart
from training_operator.core.engine.json_copy import json_copy
from training_operator.core.engine.plan import Event
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, Framework, ReplicaRef

#: template metadata the pod keeps; generateName, ownerReferences and the rest are dropped (§6.4)
_KEPT_METADATA = ("labels", "annotations", "finalizers")


@dataclass(frozen=True, slots=True)
class BuiltPod:
    """A pod body and the warnings its template earned."""

    body: dict[str, Any]
    events: tuple[Event, ...]


def desired_pod(
    job: JobModel,
    framework: Framework,
    replica: ReplicaRef,
    spec: ReplicaSpec,
    *,
    options: EngineOptions,
) -> BuiltPod:
    """The pod for one slot; the framework's `replica_pod` hook may raise `ReconcileError`."""
    kind = framework.kind
    template = spec.template
    meta = template.get("metadata") or {}
    pod_labels = {**(meta.get("labels") or {})}
    pod_labels.update(
        naming.replica_labels(job.name, kind.controller_name, replica.replica_type, replica.index)
    )
    if framework.is_master_role(job, replica.replica_type, replica.index):
        pod_labels[labels.JOB_ROLE] = labels.JOB_ROLE_MASTER
    metadata: dict[str, Any] = {key: json_copy(meta[key]) for key in _KEPT_METADATA if key in meta}
    metadata.update(
        name=naming.child_name(job.name, replica.replica_type, replica.index),
        namespace=job.namespace,
        labels=pod_labels,
        ownerReferences=[owner.controller_reference(job)],
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": json_copy(template.get("spec") or {}),
    }
    pod = framework.replica_pod(job, replica, pod, options=options)
    found: list[Event] = []
    pod_spec = pod.setdefault("spec", {})
    if (template.get("spec") or {}).get("restartPolicy"):
        found.append(Event(events.WARNING, events.SET_RESTART_POLICY, events.SET_RESTART_POLICY_MESSAGE))
    pod_spec["restartPolicy"] = policy.pod_restart_policy(spec.restart_policy)
    restart.stamp_pod(job, pod)  # ours: runPolicy.wholeJobRestart (attempt label, env, restartPolicy Never)
    found += _gang_linkage(job, pod, replica, options=options)
    return BuiltPod(pod, tuple(found))


def _gang_linkage(
    job: JobModel, pod: dict[str, Any], replica: ReplicaRef, *, options: EngineOptions
) -> list[Event]:
    """schedulerName and the PodGroup annotations or label (§6.4, §1.10)."""
    mode = options.gang_scheduling
    if mode is None:
        return []
    scheduler = "volcano" if mode == "volcano" else options.gang_scheduler_name
    found = []
    if any(_template_scheduler(s) not in ("", scheduler) for s in job.replica_specs().values()):
        found.append(Event(events.WARNING, events.SET_SCHEDULER_NAME, events.SET_SCHEDULER_NAME_MESSAGE))
    if not pod["spec"].get("schedulerName"):
        pod["spec"]["schedulerName"] = scheduler
    metadata = pod["metadata"]
    if mode == "volcano":
        annotations = metadata.setdefault("annotations", {})
        annotations[labels.VOLCANO_GROUP_NAME] = job.name
        annotations[labels.VOLCANO_TASK_SPEC] = replica.rt
    else:
        metadata["labels"][labels.SCHEDULER_PLUGINS_POD_GROUP] = job.name
    return found


def _template_scheduler(spec: ReplicaSpec | None) -> str:
    if spec is None:
        return ""
    return str((spec.template.get("spec") or {}).get("schedulerName") or "")


def desired_service(
    job: JobModel, framework: Framework, replica: ReplicaRef, spec: ReplicaSpec
) -> dict[str, Any]:
    """The headless service of one slot, ports from the default container (§7.3)."""
    kind = framework.kind
    selector = naming.replica_labels(job.name, kind.controller_name, replica.replica_type, replica.index)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": naming.child_name(job.name, replica.replica_type, replica.index),
            "namespace": job.namespace,
            "labels": dict(selector),
            "ownerReferences": [owner.controller_reference(job)],
        },
        "spec": {
            "clusterIP": "None",
            "selector": selector,
            "ports": service_ports(spec.template, kind.default_container),
        },
    }


def service_ports(template: Mapping[str, Any], default_container: str) -> list[dict[str, Any]]:
    """One service port per port of the default container; a missing container is a reconcile error."""
    containers = (template.get("spec") or {}).get("containers") or []
    container = next((c for c in containers if (c or {}).get("name") == default_container), None)
    if container is None:
        raise ReconcileError("failed to find the port")
    ports = []
    for port in container.get("ports") or []:
        entry: dict[str, Any] = {"port": port.get("containerPort")}
        if port.get("name"):
            entry = {"name": port["name"], **entry}
        ports.append(entry)
    return ports
