"""The `<name>-config` ConfigMap: the hostfile mpirun reads and Horovod's discover_hosts.sh (mpi.md §8.2).

The hostfile lists every desired host by its stable DNS name, so it only changes when Worker.replicas does.
discover_hosts.sh lists the hosts that are Running right now, for elastic Horovod. Deliberate fix: upstream
sorts those by pod name as a string (`worker-10` before `worker-2`); we sort by worker index, so the script
reads in rank order (docs/differences/mpi.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from training_operator.mpi import naming
from training_operator.mpi.api import MPIImplementation, MPIJob

HOSTFILE = "hostfile"
DISCOVER_HOSTS = "discover_hosts.sh"
MOUNT_PATH = "/etc/mpi"
HOSTFILE_PATH = f"{MOUNT_PATH}/{HOSTFILE}"


def hosts(job: MPIJob) -> list[str]:
    """Host names in rank order: the launcher first iff it runs ranks, then workers by index."""
    names = [naming.launcher(job)] if job.launcher_as_worker else []
    return names + [naming.worker(job, i) for i in range(job.worker_replicas)]


def hostfile(job: MPIJob, *, cluster_domain: str) -> str:
    """One `<fqdn> slots=S` (OpenMPI) or `<fqdn>:S` (Intel, MPICH) line per host."""
    slots = job.spec.slots_per_worker or 0
    open_mpi = job.spec.mpi_implementation == MPIImplementation.OPEN_MPI
    lines = []
    for host in hosts(job):
        address = naming.fqdn(job, host, cluster_domain=cluster_domain)
        lines.append(f"{address} slots={slots}\n" if open_mpi else f"{address}:{slots}\n")
    return "".join(lines)


def discover_hosts(job: MPIJob, running_workers: Iterable[int], *, cluster_domain: str) -> str:
    """`#!/bin/sh` then one `echo <fqdn>` per Running worker (and the launcher iff it runs ranks)."""
    hosts_now = [naming.launcher(job)] if job.launcher_as_worker else []
    hosts_now += [naming.worker(job, i) for i in sorted(running_workers)]
    echoes = "".join(f"echo {naming.fqdn(job, h, cluster_domain=cluster_domain)}\n" for h in hosts_now)
    return "#!/bin/sh\n" + echoes


def config_map(job: MPIJob, running_workers: Iterable[int], *, cluster_domain: str) -> dict[str, Any]:
    """The whole desired ConfigMap."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": naming.metadata(job, naming.config_map(job)),
        "data": {
            HOSTFILE: hostfile(job, cluster_domain=cluster_domain),
            DISCOVER_HOSTS: discover_hosts(job, running_workers, cluster_domain=cluster_domain),
        },
    }


def volume(job: MPIJob) -> tuple[dict[str, Any], dict[str, Any]]:
    """The launcher's `mpi-job-config` volume (hostfile 0444, script 0555) and its mount at /etc/mpi."""
    items = [
        {"key": HOSTFILE, "path": HOSTFILE, "mode": 0o444},
        {"key": DISCOVER_HOSTS, "path": DISCOVER_HOSTS, "mode": 0o555},
    ]
    source = {"name": "mpi-job-config", "configMap": {"name": naming.config_map(job), "items": items}}
    return source, {"name": "mpi-job-config", "mountPath": MOUNT_PATH}
