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
    slots = str(job.spec.slots_per_worker or 0)
    pairs = [(ROLE, "launcher")]
    implementation = job.spec.mpi_implementation
    if implementation == MPIImplementation.OPEN_MPI:
        pairs += [
            ("OMPI_MCA_orte_keep_fqdn_hostnames", "true"),
            ("OMPI_MCA_orte_default_hostfile", hostfile.HOSTFILE_PATH),
            ("OMPI_MCA_plm_rsh_args", _SSH_RETRIES),
            ("OMPI_MCA_orte_set_default_slots", slots),
        ]
    elif implementation == MPIImplementation.INTEL:
        pairs += [
            ("I_MPI_HYDRA_HOST_FILE", hostfile.HOSTFILE_PATH),
            ("I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS", _SSH_RETRIES),
            ("I_MPI_PERHOST", slots),
        ]
    elif implementation == MPIImplementation.MPICH:
        pairs += [
            ("HYDRA_HOST_FILE", hostfile.HOSTFILE_PATH),
            ("HYDRA_LAUNCH_EXTRA_ARGS", _SSH_RETRIES),
            # what MPICH's ssh launcher really reads; upstream sets only the name above, which it ignores
            ("HYDRA_LAUNCHER_EXTRA_ARGS", _SSH_RETRIES),
        ]
    if not job.launcher_as_worker:
        # the launcher only runs mpirun: hide the node's GPUs from it
        pairs += [("NVIDIA_VISIBLE_DEVICES", ""), ("NVIDIA_DRIVER_CAPABILITIES", "")]
    return [{"name": name, "value": value} for name, value in pairs]


def worker_env() -> list[dict[str, str]]:
    """Workers only learn their role; they run sshd and are driven by the launcher."""
    return [{"name": ROLE, "value": "worker"}]
