"""Environment variables the operator appends to container 0 (mpi.md §8.6), in upstream's exact order.

They are appended after the template's own variables, so (later duplicates winning in Kubernetes) operator
values override same-named user values. Each implementation is pointed at the hostfile in its own dialect.
"""

from __future__ import annotations

from training_operator.mpi import hostfile
from training_operator.mpi.api import MPIImplementation, MPIJob

ROLE = "K_MPI_JOB_ROLE"
_SSH_RETRIES = "-o ConnectionAttempts=10"


def launcher_env(job: MPIJob) -> list[dict[str, str]]:
    """K_MPI_JOB_ROLE, the implementation's variables, then GPU blanking unless the launcher runs ranks."""
    pairs = [
        (ROLE, "launcher"),
        *_implementation_env(job.spec.mpi_implementation, job.spec.slots_per_worker or 0),
    ]
    if not job.launcher_as_worker:
        # the launcher only runs mpirun: hide the node's GPUs from it
        pairs += [("NVIDIA_VISIBLE_DEVICES", ""), ("NVIDIA_DRIVER_CAPABILITIES", "")]
    return [{"name": name, "value": value} for name, value in pairs]


def _implementation_env(implementation: str | None, slots_per_worker: int) -> list[tuple[str, str]]:
    """Where each implementation's launcher finds the hostfile, its ssh retries and its slots. A table, not
    a chain of comparisons: the three dialects share nothing, and a value validation let through that is
    none of them gets no variables, as upstream's switch does."""
    slots = str(slots_per_worker)
    by_implementation: dict[str | None, list[tuple[str, str]]] = {
        MPIImplementation.OPEN_MPI: [
            ("OMPI_MCA_orte_keep_fqdn_hostnames", "true"),
            ("OMPI_MCA_orte_default_hostfile", hostfile.HOSTFILE_PATH),
            ("OMPI_MCA_plm_rsh_args", _SSH_RETRIES),
            ("OMPI_MCA_orte_set_default_slots", slots),
        ],
        MPIImplementation.INTEL: [
            ("I_MPI_HYDRA_HOST_FILE", hostfile.HOSTFILE_PATH),
            ("I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS", _SSH_RETRIES),
            ("I_MPI_PERHOST", slots),
        ],
        MPIImplementation.MPICH: [
            ("HYDRA_HOST_FILE", hostfile.HOSTFILE_PATH),
            ("HYDRA_LAUNCH_EXTRA_ARGS", _SSH_RETRIES),
            # what MPICH's ssh launcher really reads; upstream sets only the name above, which it ignores
            ("HYDRA_LAUNCHER_EXTRA_ARGS", _SSH_RETRIES),
        ],
    }
    return by_implementation.get(implementation, [])


def worker_env() -> list[dict[str, str]]:
    """Workers only learn their role; they run sshd and are driven by the launcher."""
    return [{"name": ROLE, "value": "worker"}]
