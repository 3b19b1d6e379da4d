"""Names, host names and labels of an MPIJob's children (mpi.md §6, §8.2).

Every child name is derived from the job name, so a repeated create is a harmless conflict and the hostfile
can be written before any pod exists: the workers are reached by these stable DNS names.
"""

from __future__ import annotations

from typing import Any

from training_operator.core import labels
from training_operator.core.engine import owner
from training_operator.mpi.api import MPIJob

CONTROLLER_NAME = "mpi-operator"
FRAMEWORK_LABEL = "mpi"
#: the DNS search domain workers get is literally `cluster.local`, whatever --cluster-domain says (Q4)
WORKER_SEARCH_DOMAIN = "cluster.local"


def config_map(job: MPIJob) -> str:
    """`<name>-config`: hostfile and discover_hosts.sh."""
    return f"{job.name}-config"


def secret(job: MPIJob) -> str:
    """`<name>-ssh`: the job's SSH key pair."""
    return f"{job.name}-ssh"


def launcher(job: MPIJob) -> str:
    """`<name>-launcher`: the batch Job, and the launcher pod's host name."""
    return f"{job.name}-launcher"


def worker(job: MPIJob, index: int) -> str:
    """`<name>-worker-<i>`: pod name and host name of worker i."""
    return f"{job.name}-worker-{index}"


def fqdn(job: MPIJob, host: str, *, cluster_domain: str) -> str:
    """`<host>.<name>.<ns>.svc[.<domain>]`, resolvable through the job's headless Service."""
    suffix = f".svc.{cluster_domain}" if cluster_domain else ".svc"
    return f"{host}.{job.name}.{job.namespace}{suffix}"


def selector(job: MPIJob) -> dict[str, str]:
    """The operator labels every pod of the job carries; the headless Service selects on them."""
    return selector_for(job.name)


def selector_for(job_name: str) -> dict[str, str]:
    """`selector` by job name."""
    return {labels.OPERATOR_NAME: CONTROLLER_NAME, labels.JOB_NAME: job_name}


def metadata(job: MPIJob, name: str) -> dict[str, Any]:
    """Metadata of a Service/ConfigMap/Secret/Job child: `app: <name>` and the controller reference."""
    return {
        "name": name,
        "namespace": job.namespace,
        "labels": {labels.APP: job.name},
        "ownerReferences": [owner.controller_reference(job)],
    }
