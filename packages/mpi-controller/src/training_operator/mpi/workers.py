"""Worker pods `<name>-worker-<i>` (mpi.md §8.4, §11): built, listed in index order, scaled down.

Workers run sshd and nothing else the operator cares about: a worker that terminates is not replaced (its pod
still exists); only a deleted one is re-created with the same name, so its DNS name and hostfile line hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from training_operator.core import labels
from training_operator.core.engine import owner
from training_operator.core.engine.observed import PodRecord, Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.mpi import env, naming, podtemplate, ssh
from training_operator.mpi.api import WORKER, MPIJob

SSHD_COMMAND = ("/usr/sbin/sshd", "-De")


def index_offset(job: MPIJob) -> int:
    """Worker i is labelled `replica-index: i+1` when the launcher takes rank host 0 (mpi.md §6)."""
    return 1 if job.launcher_as_worker else 0


def worker_pod(job: MPIJob, index: int, *, options: EngineOptions) -> dict[str, Any]:
    """The whole desired Pod for worker `index`."""
    spec = job.replica(WORKER)
    assert spec is not None  # only called for jobs with a Worker entry
    name = naming.worker(job, index)
    template = podtemplate.pod_template(
        job,
        spec,
        role=labels.JOB_ROLE_WORKER,
        hostname=name,
        index=index + index_offset(job),
        env=env.worker_env(),
        volumes=[ssh.volume(job)],
        options=options,
    )
    pod = template["spec"]
    # Intel MPI and MPICH workers resolve the launcher by its short host name (Q4: literally cluster.local)
    dns = dict(pod.get("dnsConfig") or {})
    search = f"{job.name}.{job.namespace}.svc.{naming.WORKER_SEARCH_DOMAIN}"
    dns["searches"] = [*(dns.get("searches") or []), search]
    pod["dnsConfig"] = dns
    main = pod["containers"][0]
    if "command" not in main and "args" not in main:
        main["command"] = list(SSHD_COMMAND)
    meta = {**template["metadata"], "name": name, "namespace": job.namespace}
    meta["ownerReferences"] = [owner.controller_reference(job)]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod}


def listed(job: MPIJob, observed: Snapshot) -> list[PodRecord]:
    """Every pod labelled as one of this job's workers (ours or not: conflicts are detected by name)."""
    return [
        pod
        for pod in observed.pods
        if pod.labels.get(labels.JOB_ROLE) == labels.JOB_ROLE_WORKER
        and pod.labels.get(labels.JOB_NAME) == job.name
    ]


def worker_index(job: MPIJob, pod: PodRecord) -> int | None:
    """The worker index of a pod from its label, None when the label is missing or not a number."""
    raw = pod.labels.get(labels.REPLICA_INDEX, "")
    return int(raw) - index_offset(job) if raw.isdigit() else None


def surplus(job: MPIJob, pods: Sequence[PodRecord]) -> list[PodRecord]:
    """Owned workers past Worker.replicas, to delete on scale-down.

    Deliberate fix (Q10): the index is read back with the launcher-as-worker shift undone, so scale-down no
    longer deletes (and later re-creates) the last wanted worker; pods without an index are left alone.
    """
    if len(pods) <= job.worker_replicas:
        return []
    return [
        pod
        for pod in pods
        if pod.owner_uid == job.uid and (i := worker_index(job, pod)) is not None and i >= job.worker_replicas
    ]
