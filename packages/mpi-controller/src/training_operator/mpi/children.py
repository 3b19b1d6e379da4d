"""Making the singleton children exist as the job wants them (mpi.md §6, §8.1–§8.3, §15).

Each `ensure_*` reads the snapshot, never the API: absent → create; an orphan carrying the job's `app` label
→ adopted and used; present and ours → the smallest merge patch that fixes only the fields upstream
reconciles, or nothing; another controller's (or an orphan that is not the job's) → never touched, reported
as blocking (core.engine.ownership). Writing only on difference is what keeps a steady job at zero writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from training_operator.core import labels
from training_operator.core.engine import owner, ownership
from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord, Snapshot
from training_operator.core.engine.plan import Adopt, Create, Delete, Event, Release, Update
from training_operator.core.framework import EngineOptions
from training_operator.mpi import gang, hostfile, naming, ssh
from training_operator.mpi.api import MPIJob

Record = TypeVar("Record", PodRecord, ServiceRecord, ObjectRecord)


@dataclass
class Writes:
    """The writes and events one sync decides, in the order upstream issues them."""

    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    claims: list[Adopt | Release] = field(default_factory=list)
    #: children another object's name keeps from the job, reported on the job
    blocked: list[ownership.Blocked] = field(default_factory=list)
    #: names of children the job cannot use this sync (blocked, or being released)
    held: list[str] = field(default_factory=list)
    #: reconcile again after this many seconds (a whole-job restart waiting for a stale read)
    requeue_after: float | None = None


def claimed(
    job: MPIJob, record: Record | None, writes: Writes, *, selector: Mapping[str, str] | None = None
) -> Record | None:
    """The record when the job may use it (ours, or an orphan adopted now); None when absent or held.

    `selector` defaults to the `app` label every Service/ConfigMap/Secret/Job child carries.
    """
    if record is None:
        return None
    wanted = {labels.APP: job.name} if selector is None else selector
    decision = ownership.claim(record, job_uid=job.uid, selector=wanted)
    if decision is ownership.Claim.OURS:
        return record
    if decision is ownership.Claim.ADOPT:
        writes.claims.append(ownership.adopt(record, owner.controller_reference(job)))
        return record
    if decision is ownership.Claim.RELEASE:
        writes.claims.append(ownership.release(record))
    else:
        ownership.hold(writes.blocked, record)
    writes.held.append(record.name)
    return None


def _nulled(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch value turning map `old` into `new`: keys only `old` has become null."""
    return {**dict.fromkeys(k for k in old if k not in new), **new}


def ensure_service(job: MPIJob, observed: Snapshot, writes: Writes) -> None:
    """The headless Service `<name>`; only its selector and publishNotReadyAddresses are reconciled."""
    found = next((s for s in observed.services if s.name == job.name), None)
    record = claimed(job, found, writes)
    if record is None and found is None:
        spec: dict[str, Any] = {"clusterIP": "None", "selector": naming.selector(job)}
        if job.launcher_as_worker:
            spec["publishNotReadyAddresses"] = True  # the launcher must resolve itself before it is Ready
        body = {"apiVersion": "v1", "kind": "Service", "metadata": naming.metadata(job, job.name)}
        writes.creates.append(Create({**body, "spec": spec}))
        return
    if record is None:
        return
    patch: dict[str, Any] = {}
    if record.selector is not None and dict(record.selector) != naming.selector(job):
        patch["selector"] = _nulled(record.selector, naming.selector(job))
    publish = record.publish_not_ready_addresses
    if publish is not None and publish != job.launcher_as_worker:
        patch["publishNotReadyAddresses"] = job.launcher_as_worker
    if patch:
        writes.updates.append(Update("v1", "Service", job.name, {"spec": patch}))


def ensure_config_map(
    job: MPIJob, observed: Snapshot, writes: Writes, *, running: list[int], options: EngineOptions
) -> None:
    """`<name>-config`, rewritten when the hostfile or the set of Running workers changes."""
    desired = hostfile.config_map(job, running, cluster_domain=options.cluster_domain)
    name = naming.config_map(job)
    found = observed.object("ConfigMap", name)
    record = claimed(job, found, writes)
    if found is None:
        writes.creates.append(Create(desired))
    elif record is None:
        return
    elif dict(record.body.get("data") or {}) != desired["data"]:
        patch = {"data": _nulled(record.body.get("data") or {}, desired["data"])}
        writes.updates.append(Update("v1", "ConfigMap", name, patch))


def ensure_secret(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """`<name>-ssh`: created once; a new pair only when its key set is wrong (contents are never compared)."""
    name = naming.secret(job)
    found = observed.object("Secret", name)
    record = claimed(job, found, writes)
    if found is None:
        writes.creates.append(Create(ssh.secret(job, ssh.key_pair(observed))))
    elif record is None:
        return
    elif not ssh.usable(record.body):
        data = _nulled(record.body.get("data") or {}, ssh.secret_data(ssh.key_pair(observed)))
        writes.updates.append(Update("v1", "Secret", name, {"data": data}))


def ensure_pod_group(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """The gang-scheduling PodGroup, its spec replaced when it differs (mpi.md §15)."""
    desired = gang.pod_group(job, options=options, priority_classes=observed.priority_classes)
    if desired is None:
        return
    found = _pod_group(job, observed, options)
    record = claimed(job, found, writes, selector={})  # PodGroups carry no labels (mpi.md §6)
    if found is None:
        writes.creates.append(Create(desired))
    elif record is None:
        return
    elif dict(have := record.body.get("spec") or {}) != desired["spec"]:
        changed = {k: v for k, v in _nulled(have, desired["spec"]).items() if have.get(k) != v}
        writes.updates.append(Update(desired["apiVersion"], gang.KIND, job.name, {"spec": changed}))


def _pod_group(job: MPIJob, observed: Snapshot, options: EngineOptions) -> ObjectRecord | None:
    version = gang.api_version(options)
    record = observed.object(gang.KIND, job.name)
    return record if record is not None and record.api_version == version else None


def delete_pod_group(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """Drop the PodGroup on completion clean-up and on suspend, when gang scheduling is on (ours only)."""
    record = _pod_group(job, observed, options)
    if record is not None and record.owner_uid == job.uid and not record.deleting:
        writes.deletes.append(Delete(record.api_version, gang.KIND, record.name, record.uid))
