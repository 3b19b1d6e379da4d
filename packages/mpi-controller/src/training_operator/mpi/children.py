"""Making the singleton children exist as the job wants them (mpi.md §6, §8.1–§8.3, §15).

Each `ensure_*` reads the snapshot, never the API: absent → create, present but owned by someone else →
`Conflict` (upstream's ErrResourceExists), present and ours → the smallest merge patch that fixes only the
fields upstream reconciles, or nothing. Writing only on difference is what keeps a steady job at zero writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.core.engine.plan import Create, Delete, Event, Update
from training_operator.core.framework import EngineOptions
from training_operator.mpi import gang, hostfile, naming, ssh
from training_operator.mpi.api import MPIJob


class Conflict(Exception):
    """A child's name is taken by an object this job does not control; the sync fails and is retried."""

    def __init__(self, name: str, kind: str) -> None:
        self.name, self.kind = name, kind
        super().__init__(f'Resource "{name}" of Kind "{kind}" already exists and is not managed by MPIJob')


@dataclass
class Writes:
    """The writes and events one sync decides, in the order upstream issues them."""

    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    deletes: list[Delete] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)


def owned(job: MPIJob, record: ObjectRecord | None, kind: str) -> ObjectRecord | None:
    """The record if this job controls it; raises `Conflict` when someone else does."""
    if record is not None and record.owner_uid != job.uid:
        raise Conflict(record.name, kind)
    return record


def _nulled(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch value turning map `old` into `new`: keys only `old` has become null."""
    return {**dict.fromkeys(k for k in old if k not in new), **new}


def ensure_service(job: MPIJob, observed: Snapshot, writes: Writes) -> None:
    """The headless Service `<name>`; only its selector and publishNotReadyAddresses are reconciled."""
    record = next((s for s in observed.services if s.name == job.name), None)
    if record is None:
        spec: dict[str, Any] = {"clusterIP": "None", "selector": naming.selector(job)}
        if job.launcher_as_worker:
            spec["publishNotReadyAddresses"] = True  # the launcher must resolve itself before it is Ready
        body = {"apiVersion": "v1", "kind": "Service", "metadata": naming.metadata(job, job.name)}
        writes.creates.append(Create({**body, "spec": spec}))
        return
    if record.owner_uid != job.uid:
        raise Conflict(record.name, "Service")
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
    record = owned(job, observed.object("ConfigMap", name), "ConfigMap")
    if record is None:
        writes.creates.append(Create(desired))
    elif dict(record.body.get("data") or {}) != desired["data"]:
        patch = {"data": _nulled(record.body.get("data") or {}, desired["data"])}
        writes.updates.append(Update("v1", "ConfigMap", name, patch))


def ensure_secret(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """`<name>-ssh`: created once; a new pair only when its key set is wrong (contents are never compared)."""
    name = naming.secret(job)
    record = owned(job, observed.object("Secret", name), "Secret")
    if record is None:
        writes.creates.append(Create(ssh.secret(job, options.key_factory)))
    elif set(record.body.get("data") or {}) != ssh.KEYS:
        data = _nulled(record.body.get("data") or {}, ssh.secret_data(options.key_factory))
        writes.updates.append(Update("v1", "Secret", name, {"data": data}))


def ensure_pod_group(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """The gang-scheduling PodGroup, its spec replaced when it differs (mpi.md §15)."""
    desired = gang.pod_group(job, options=options)
    if desired is None:
        return
    record = owned(job, _pod_group(job, observed, options), gang.KIND)
    if record is None:
        writes.creates.append(Create(desired))
    elif dict(have := record.body.get("spec") or {}) != desired["spec"]:
        changed = {k: v for k, v in _nulled(have, desired["spec"]).items() if have.get(k) != v}
        writes.updates.append(Update(desired["apiVersion"], gang.KIND, job.name, {"spec": changed}))


def _pod_group(job: MPIJob, observed: Snapshot, options: EngineOptions) -> ObjectRecord | None:
    version = gang.api_version(options)
    record = observed.object(gang.KIND, job.name)
    return record if record is not None and record.api_version == version else None


def delete_pod_group(job: MPIJob, observed: Snapshot, writes: Writes, *, options: EngineOptions) -> None:
    """Drop the PodGroup on completion clean-up and on suspend, when gang scheduling is on."""
    record = owned(job, _pod_group(job, observed, options), gang.KIND)
    if record is not None and not record.deleting:
        writes.deletes.append(Delete(record.api_version, gang.KIND, record.name, record.uid))
