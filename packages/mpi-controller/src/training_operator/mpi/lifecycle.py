"""One MPIJob sync (mpi.md §7), as a pure function from the job and its observed children to a `Plan`.

MPIJob v2beta1 has its own life cycle (a launcher Job decides the outcome; workers are never replaced; TTL,
deadline and back-off are the job controller's), so this is not the v1 engine: it strings core's building
blocks (condition engine, status draft, owner references, quantities) together in upstream's step order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from training_operator.core.api.common import CleanPodPolicy
from training_operator.core.engine import naming as core_naming
from training_operator.core.engine import ownership
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord, Snapshot
from training_operator.core.engine.plan import Create, Delete, Event, Plan, Update
from training_operator.core.framework import EngineOptions
from training_operator.mpi import children, launcher, naming, status, validation, whole_job_restart, workers
from training_operator.mpi.api import KIND, MANAGED_BY_MPI_OPERATOR, LauncherCreationPolicy, MPIJob
from training_operator.mpi.children import Writes
from training_operator.mpi.defaults import defaulted


def plan(raw: MPIJob, observed: Snapshot, *, now: datetime, options: EngineOptions) -> Plan:
    """Everything the job needs next (steps 3–15 of §7); reads no clock and writes nothing."""
    job = defaulted(raw)
    managed_by = job.run_policy.managed_by
    if (managed_by and managed_by != MANAGED_BY_MPI_OPERATOR) or job.metadata.deletion_timestamp:
        return Plan()  # another controller's job (§14), or garbage collection's business
    found = validation.problems(job)
    if found:
        return Plan(events=(Event("Warning", "ValidationError", validation.event_message(found)),))
    old = job.status.to_wire() if job.status is not None else {}
    draft = StatusDraft(
        job=job, status=old, now=core_naming.timestamp(now), framework_label=naming.FRAMEWORK_LABEL
    )
    if not draft.conditions:
        status.mark_created(draft, job)
    writes = Writes()
    gauges = _sync(job, observed, draft, writes, now=now, options=options)
    # deliberate difference (AC-25): a name held by another object blocks only what needs it; the job is
    # still Created, says what blocks it, and everything else goes on (docs/differences/mpi.md)
    ownership.report(draft, KIND, writes.blocked)
    return Plan(
        creates=tuple(writes.creates),
        updates=tuple(writes.updates),
        deletes=tuple(writes.deletes),
        claims=tuple(writes.claims),
        status=draft.status if draft.status != old else None,
        events=tuple(draft.events + writes.events),
        metrics=tuple(draft.metrics),
        gauges=gauges,
        requeue_after=writes.requeue_after,
    )


def _sync(
    job: MPIJob,
    observed: Snapshot,
    draft: StatusDraft,
    writes: Writes,
    *,
    now: datetime,
    options: EngineOptions,
) -> tuple[Any, ...]:
    if draft.finished and draft.status.get("completionTime"):
        # finished short-cut (§7 step 8): only the clean-up policy may still act
        if job.run_policy.clean_pod_policy in (CleanPodPolicy.ALL, CleanPodPolicy.RUNNING):
            _clean_up_workers(job, observed, draft, writes, options=options)
        return ()
    if not draft.status.get("startTime") and not job.suspended:
        draft.status["startTime"] = draft.now
    found = observed.object(launcher.KIND, naming.launcher(job))
    existing = children.claimed(job, found, writes)
    if whole_job_restart.step(job, observed, draft, writes, existing).handled:
        return ()  # ours: an attempt is being recorded, torn down, or the job failed (whole_job_restart)
    done = existing is not None and any(
        status.job_condition(existing.body, t) is not None for t in ("Complete", "Failed")
    )
    current: ObjectRecord | None = existing
    worker_pods: list[PodRecord] = []
    if not done:
        worker_pods = _ensure_children(job, observed, writes, options=options)
        # a launcher needs every child: one that another object holds would give it a stranger's hostfile,
        # keys or DNS names, so it waits until nothing is held
        if found is None and not writes.held and _launcher_may_start(job, worker_pods):
            deadline = whole_job_restart.launcher_deadline(job, draft.status.get("startTime"), now)
            body, events = launcher.launcher_job(job, options=options, deadline=deadline)
            writes.creates.append(Create(body))
            writes.events.extend(events)
            current = ObjectRecord(launcher.API_VERSION, launcher.KIND, naming.launcher(job), body=body)
    if existing is not None:
        _align_suspension(job, existing, writes, options=options)
    if job.suspended:
        _clean_up_workers(job, observed, draft, writes, options=options)
    launcher_pods = observed.owned_pods(current.uid) if current is not None and current.uid else ()
    return status.update(draft, job, launcher=current, launcher_pods=launcher_pods, workers=worker_pods)


def _ensure_children(
    job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions
) -> list[PodRecord]:
    """Service, ConfigMap, Secret, then (unless suspended) PodGroup and workers (§7 step 12)."""
    listed = workers.listed(job, observed)
    surplus = workers.surplus(job, listed)
    running = [
        index
        for pod in listed
        if pod.owner_uid == job.uid
        and pod.phase == "Running"
        and not pod.deleting
        and pod not in surplus
        and (index := workers.worker_index(job, pod)) is not None
    ]
    children.ensure_service(job, observed, writes)
    children.ensure_config_map(job, observed, writes, running=running, options=options)
    children.ensure_secret(job, observed, writes, options=options)
    if job.suspended:
        return []
    held = len(writes.held)
    children.ensure_pod_group(job, observed, writes, options=options)
    writes.deletes.extend(Delete("v1", "Pod", pod.name, pod.uid) for pod in surplus if not pod.deleting)
    # workers mount the job's SSH keys and join its PodGroup: none is created while either is held
    may_create = naming.secret(job) not in writes.held and len(writes.held) == held
    return _ensure_workers(job, observed, writes, options=options, may_create=may_create)


def _ensure_workers(
    job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions, may_create: bool
) -> list[PodRecord]:
    """Exactly Worker.replicas pods in index order; only missing ones are created (§11.1); a worker name
    held by another pod is reported, not listed."""
    by_name = {pod.name: pod for pod in observed.pods}
    result = []
    selector = naming.selector(job)
    for index in range(job.worker_replicas):
        name = naming.worker(job, index)
        found = by_name.get(name)
        pod = children.claimed(job, found, writes, selector=selector)
        if found is None and may_create:
            writes.creates.append(Create(workers.worker_pod(job, index, options=options)))
            pod = PodRecord(name=name, owner_uid=job.uid)  # as the API returns it: Pending, not Ready
        if pod is not None:
            result.append(pod)
    return result


def _launcher_may_start(job: MPIJob, worker_pods: list[PodRecord]) -> bool:
    """AtStartup, or (any other policy string, Q2) once every listed worker is Ready (§9)."""
    if job.spec.launcher_creation_policy == LauncherCreationPolicy.AT_STARTUP:
        return True
    return all(pod.ready for pod in worker_pods)


def _align_suspension(job: MPIJob, existing: ObjectRecord, writes: Writes, *, options: EngineOptions) -> None:
    """Suspend or resume the launcher Job with the MPIJob (§13)."""
    spec = existing.body.get("spec") or {}
    if job.suspended and not spec.get("suspend"):
        writes.updates.append(
            Update(launcher.API_VERSION, launcher.KIND, existing.name, {"spec": {"suspend": True}})
        )
    elif not job.suspended and spec.get("suspend"):
        if (existing.body.get("status") or {}).get("startTime"):
            # a started Job's template is immutable; clearing startTime re-opens its scheduling fields
            patch = {"status": {"startTime": None}}
            writes.updates.append(Update(launcher.API_VERSION, launcher.KIND, existing.name, patch, "status"))
        patch, events = launcher.resume_patch(job, dict(existing.body), options=options)
        writes.updates.append(Update(launcher.API_VERSION, launcher.KIND, existing.name, patch))
        writes.events.extend(events)


def _clean_up_workers(
    job: MPIJob, observed: Snapshot, draft: StatusDraft, writes: Writes, *, options: EngineOptions
) -> None:
    """Delete workers by cleanPodPolicy (Running keeps finished pods), then the PodGroup (§12.2)."""
    by_name = {pod.name: pod for pod in observed.pods}
    keep_finished = job.run_policy.clean_pod_policy == CleanPodPolicy.RUNNING
    for index in range(job.worker_replicas):
        pod = by_name.get(naming.worker(job, index))
        if pod is None or pod.owner_uid != job.uid:
            continue  # another controller's pod at a worker's name is never touched
        if (keep_finished and pod.phase not in ("Running", "Pending")) or pod.deleting:
            continue
        writes.deletes.append(Delete("v1", "Pod", pod.name, pod.uid))
    replica_statuses = dict(draft.status.get("replicaStatuses") or {})
    draft.status["replicaStatuses"] = {**replica_statuses, "Worker": {}}
    children.delete_pod_group(job, observed, writes, options=options)
