"""Builders for MPIJob tests (ours and the operator's): jobs, observed children and one-call syncs.

Public so the unified operator's integration tests build MPIJobs the same way; nothing here is used by the
plug-in itself. Syncs pass `FIXED_KEYS` as the adapter's key pair, so no real key is generated and results
are reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from training_operator.core import labels
from training_operator.core.engine import planner
from training_operator.core.engine.observed import (
    ObjectRecord,
    PodConditionRecord,
    PodRecord,
    ServiceRecord,
    Snapshot,
)
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import EngineOptions
from training_operator.core.testing.cluster import FIXED_KEY_PAIR, with_inputs
from training_operator.mpi import naming
from training_operator.mpi.api import MPIJob
from training_operator.mpi.plugin import FRAMEWORK

JOB_UID = "uid-mpijob"
LAUNCHER_UID = "uid-launcher"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
NOW_TEXT = "2025-01-02T03:04:05Z"
FIXED_KEYS = FIXED_KEY_PAIR


def job_body(
    name: str = "pi",
    namespace: str | None = "default",
    *,
    workers: int | None = 2,
    launcher: Mapping[str, Any] | None = None,
    worker: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    annotations: Mapping[str, str] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    """An MPIJob body like mpi.md AC-1; `workers=None` leaves the Worker entry out."""
    launcher_spec = dict(
        launcher or {"template": {"spec": {"containers": [{"name": "l", "image": "mpi-pi"}]}}}
    )
    replica_specs: dict[str, Any] = {"Launcher": launcher_spec}
    if workers is not None or worker is not None:
        worker_spec = dict(
            worker or {"template": {"spec": {"containers": [{"name": "w", "image": "mpi-pi"}]}}}
        )
        if workers is not None:
            worker_spec.setdefault("replicas", workers)
        replica_specs["Worker"] = worker_spec
    metadata: dict[str, Any] = {"name": name, "uid": JOB_UID}
    if namespace is not None:
        metadata["namespace"] = namespace
    if annotations:
        metadata["annotations"] = dict(annotations)
    body: dict[str, Any] = {
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": metadata,
        "spec": {**spec, "mpiReplicaSpecs": replica_specs},
    }
    if status is not None:
        body["status"] = dict(status)
    return body


def a_job(**kwargs: Any) -> MPIJob:
    """A parsed MPIJob (see `job_body`)."""
    return FRAMEWORK.parse(job_body(**kwargs))


def options(**overrides: Any) -> EngineOptions:
    """Engine options (gang scheduler, cluster domain, ...)."""
    return EngineOptions(**overrides)


def sync(
    job: MPIJob,
    observed: Snapshot | None = None,
    *,
    now: datetime = NOW,
    priority_classes: Mapping[str, int] | None = None,
    **overrides: Any,
) -> Plan:
    """One plan() call as the operator makes it; `priority_classes` and, when the job needs one, the key pair
    (`FIXED_KEYS`) join the snapshot as the adapter adds them; the other keywords are engine options."""
    seen = observed or Snapshot()
    if priority_classes is not None:
        seen = replace(seen, priority_classes=priority_classes)
    seen = with_inputs(FRAMEWORK, job, seen)
    return planner.plan(job, FRAMEWORK, seen, now=now, options=options(**overrides))


def with_status(job: MPIJob, plan: Plan) -> MPIJob:
    """The job as the API server stores it after the plan's status write."""
    if plan.status is None:
        return job
    return FRAMEWORK.parse({**job.body(), "status": dict(plan.status)})


def status_of(plan: Plan) -> Mapping[str, Any]:
    """The status a plan writes; fails the test when it writes none."""
    assert plan.status is not None, "the plan writes no status"
    return plan.status


def a_pod(
    name: str,
    *,
    job: str = "pi",
    role: str = labels.JOB_ROLE_WORKER,
    index: int | None = None,
    phase: str = "Running",
    ready: bool = False,
    owner: str = JOB_UID,
    reason: str = "",
    message: str = "",
    created: str = "",
    uid: str = "",
) -> PodRecord:
    """A pod as the index records it."""
    pod_labels = {**naming.selector_for(job), labels.JOB_ROLE: role}
    if index is not None:
        pod_labels[labels.REPLICA_INDEX] = str(index)
    conditions = (PodConditionRecord("Ready", "True"),) if ready else ()
    return PodRecord(
        name=name,
        uid=uid or f"uid-{name}",
        owner_uid=owner,
        labels=pod_labels,
        phase=phase,
        reason=reason,
        message=message,
        conditions=conditions,
        creation_timestamp=created,
    )


def workers(
    count: int, *, job: str = "pi", phase: str = "Running", ready: bool = False, shift: int = 0
) -> list[PodRecord]:
    """Worker pods 0..count-1 in one phase."""
    return [
        a_pod(f"{job}-worker-{i}", job=job, index=i + shift, phase=phase, ready=ready) for i in range(count)
    ]


def launcher_record(
    job: str = "pi",
    *,
    conditions: Sequence[Mapping[str, str]] = (),
    failed: int = 0,
    suspend: bool | None = None,
    start_time: str | None = None,
    completion_time: str | None = None,
    template: Mapping[str, Any] | None = None,
    owner: str = JOB_UID,
) -> ObjectRecord:
    """The launcher batch Job as observed."""
    status: dict[str, Any] = {"conditions": [dict(c) for c in conditions]}
    if failed:
        status["failed"] = failed
    if start_time:
        status["startTime"] = start_time
    if completion_time:
        status["completionTime"] = completion_time
    spec: dict[str, Any] = {"template": dict(template or {})}
    if suspend is not None:
        spec["suspend"] = suspend
    meta = {"name": f"{job}-launcher", "labels": {labels.APP: job}}
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": spec}
    return ObjectRecord(
        "batch/v1", "Job", f"{job}-launcher", LAUNCHER_UID, owner, body={**body, "status": status}
    )


def existing(plan: Plan, *, owner: str = JOB_UID) -> Snapshot:
    """The children a plan created, as the index would then show them (pods Pending)."""
    pods, services, objects = [], [], []
    for create in plan.creates:
        body = dict(create.body)
        meta = body["metadata"]
        uid = LAUNCHER_UID if create.kind == "Job" else f"uid-{create.name}"
        if create.kind == "Pod":
            pods.append(PodRecord(create.name, uid, owner, dict(meta.get("labels") or {})))
        elif create.kind == "Service":
            spec = body["spec"]
            publish = bool(spec.get("publishNotReadyAddresses"))
            service_labels = dict(meta.get("labels") or {})
            selector = dict(spec["selector"])
            services.append(ServiceRecord(create.name, uid, owner, service_labels, False, selector, publish))
        else:
            objects.append(ObjectRecord(body["apiVersion"], create.kind, create.name, uid, owner, body=body))
    return Snapshot(tuple(pods), tuple(services), tuple(objects))


def merged(
    *snapshots: Snapshot, pods: Sequence[PodRecord] = (), objects: Sequence[ObjectRecord] = ()
) -> Snapshot:
    """Several snapshots in one; later pods/objects replace earlier ones of the same name."""
    by_pod = {p.name: p for s in snapshots for p in s.pods} | {p.name: p for p in pods}
    by_object = {(o.kind, o.name): o for s in snapshots for o in s.objects} | {
        (o.kind, o.name): o for o in objects
    }
    services = {s.name: s for snap in snapshots for s in snap.services}
    return Snapshot(tuple(by_pod.values()), tuple(services.values()), tuple(by_object.values()))
