"""Builders for jobs and the slim child records the engine reads, so tests state only what matters.

Every builder takes the kind's `KindInfo` (TestJob's by default), so framework packages build their own
jobs and pods with the same helpers: `a_job(kind=TF_KIND, replicas={"Worker": 4, "PS": 2})`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from training_operator.core import labels
from training_operator.core.engine import naming
from training_operator.core.engine.observed import ContainerRecord, PodRecord, ServiceRecord
from training_operator.core.framework import KindInfo
from training_operator.core.testing.framework import TEST_KIND


def job_uid(name: str) -> str:
    """The UID builders give a job unless told otherwise."""
    return f"uid-{name}"


def a_template(kind: KindInfo = TEST_KIND, **spec: Any) -> dict[str, Any]:
    """A pod template with one valid default container; keyword arguments are merged into `spec`."""
    return {"spec": {"containers": [{"name": kind.default_container, "image": "img"}], **spec}}


def a_job(
    *,
    kind: KindInfo = TEST_KIND,
    name: str = "job-a",
    namespace: str = "default",
    uid: str | None = None,
    replicas: Mapping[str, int | None] | None = None,
    restart_policy: str | Mapping[str, str] | None = None,
    templates: Mapping[str, Mapping[str, Any]] | None = None,
    run_policy: Mapping[str, Any] | None = None,
    status: Mapping[str, Any] | None = None,
    annotations: Mapping[str, str] | None = None,
    deletion_timestamp: str | None = None,
    spec: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A job body as the API server stores it (raw, not defaulted); `spec` adds kind-specific fields."""
    specs: dict[str, Any] = {}
    for replica_type, count in (replicas if replicas is not None else {"Worker": 1}).items():
        entry: dict[str, Any] = {
            "template": copy.deepcopy(dict((templates or {}).get(replica_type) or a_template(kind)))
        }
        if count is not None:
            entry["replicas"] = count
        policy = restart_policy.get(replica_type) if isinstance(restart_policy, Mapping) else restart_policy
        if policy is not None:
            entry["restartPolicy"] = policy
        specs[replica_type] = entry
    metadata: dict[str, Any] = {"name": name, "namespace": namespace, "uid": uid or job_uid(name)}
    if annotations:
        metadata["annotations"] = dict(annotations)
    if deletion_timestamp:
        metadata["deletionTimestamp"] = deletion_timestamp
    body: dict[str, Any] = {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": metadata,
        "spec": {kind.replica_map_key: specs, **dict(spec or {})},
    }
    if run_policy is not None:
        body["spec"]["runPolicy"] = dict(run_policy)
    if status is not None:
        body["status"] = copy.deepcopy(dict(status))
    return body


def a_pod(
    job_name: str,
    replica_type: str,
    index: int | str,
    *,
    kind: KindInfo = TEST_KIND,
    phase: str = "Running",
    owner_uid: str | None = None,
    exit_code: int | None = None,
    restart_count: int = 0,
    deleting: bool = False,
    name: str | None = None,
    extra_labels: Mapping[str, str] | None = None,
    containers: tuple[ContainerRecord, ...] | None = None,
    controller: str = "",
) -> PodRecord:
    """A pod of one slot as the index records it; `index` may be a string to test garbage labels."""
    pod_name = name or naming.child_name(job_name, replica_type, int(index) if str(index).isdigit() else 0)
    pod_labels = {
        **naming.job_labels(job_name, kind.controller_name),
        labels.REPLICA_TYPE: replica_type.lower(),
        labels.REPLICA_INDEX: str(index),
        **dict(extra_labels or {}),
    }
    if containers is None:
        containers = (
            ContainerRecord(kind.default_container, restart_count=restart_count, exit_code=exit_code),
        )
    return PodRecord(
        name=pod_name,
        uid=f"uid-{pod_name}",
        owner_uid=owner_uid if owner_uid is not None else job_uid(job_name),
        labels=pod_labels,
        phase=phase,
        deleting=deleting,
        containers=containers,
        controller=controller,
    )


def a_service(
    job_name: str,
    replica_type: str,
    index: int,
    *,
    kind: KindInfo = TEST_KIND,
    owner_uid: str | None = None,
    controller: str = "",
) -> ServiceRecord:
    """The headless service of one slot as the index records it."""
    service_labels = naming.replica_labels(job_name, kind.controller_name, replica_type, index)
    service_name = naming.child_name(job_name, replica_type, index)
    return ServiceRecord(
        name=service_name,
        uid=f"uid-svc-{service_name}",
        owner_uid=owner_uid if owner_uid is not None else job_uid(job_name),
        labels=service_labels,
        selector=service_labels,
        controller=controller,
    )


def pods_of(
    job_name: str, replicas: Mapping[str, int], *, kind: KindInfo = TEST_KIND, **fields: Any
) -> list[PodRecord]:
    """One pod per slot of every replica type, all with the same fields (phase, restart count ...)."""
    return [a_pod(job_name, t, i, kind=kind, **fields) for t, n in replicas.items() for i in range(n)]


def services_of(
    job_name: str, replicas: Mapping[str, int], *, kind: KindInfo = TEST_KIND
) -> list[ServiceRecord]:
    """One service per slot of every replica type."""
    return [a_service(job_name, t, i, kind=kind) for t, n in replicas.items() for i in range(n)]
