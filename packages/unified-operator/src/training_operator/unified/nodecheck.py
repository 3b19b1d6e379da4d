"""What the local node needs before a job can run there, checked before `local run` starts anything.

The local node runs containers as processes on this machine and pulls no images, so a container needs a
`command`, and that command (and, for MPIJob, sshd, an ssh client and the MPI implementation) must be on
this machine. Finding out after minutes of back-off, from `exec: "/usr/sbin/sshd": executable file not
found`, is what this module prevents: each gap is reported at once, with the package that fills it.
Commands are looked up as the local node looks them up: this interpreter's bin directory first, then PATH.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from training_operator.core.api.job import JobModel

MPI_JOB = "MPIJob"
#: where sshd lives when PATH (a non-root user's) leaves it out; MPIJob workers start it by absolute path
SBIN = ("/usr/sbin",)
LOCAL_COMMAND_REQUIRED = "LocalCommandRequired"
#: where a missing program comes from (Debian packages unless the hint says otherwise)
_PACKAGES = {
    "sshd": "apt-get install openssh-server",
    "ssh": "apt-get install openssh-client",
    "mpirun": "apt-get install openmpi-bin (or mpich)",
    "mpiexec": "apt-get install openmpi-bin (or mpich)",
    "mpirun.openmpi": "apt-get install openmpi-bin",
    "orterun": "apt-get install openmpi-bin",
    "mpirun.mpich": "apt-get install mpich",
    "mpiexec.hydra": "apt-get install mpich",
    "python3": "apt-get install python3",
    "python": "apt-get install python-is-python3",
    "torchrun": "pip install torch",
    "nsenter": "apt-get install util-linux",
    "unshare": "apt-get install util-linux",
    "ip": "apt-get install iproute2",
}
#: any one of these programs provides the MPI implementation the job names
_MPI_LAUNCHERS = {
    "OpenMPI": (("mpirun.openmpi", "mpirun", "orterun", "prterun"), "apt-get install openmpi-bin"),
    "MPICH": (("mpirun.mpich", "mpiexec.hydra", "mpiexec.mpich", "mpirun"), "apt-get install mpich"),
    "Intel": (("mpirun", "mpiexec.hydra"), "Intel oneAPI's MPI, or MPICH's Hydra: apt-get install mpich"),
}


def problems(
    job: JobModel, map_key: str, *, folder: Path, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Why this job cannot run on this machine's local node (empty when nothing is missing); `map_key` is
    the kind's replica map (`pytorchReplicaSpecs`), `folder` the working directory of its containers."""
    path = _search_path(os.environ if environ is None else environ)
    found = []
    for where, container in _containers(job, map_key):
        found += _container_problems(where, container, folder=folder, path=path)
    if job.kind == MPI_JOB:
        found += _mpi_problems(job, path)
    return found


def _containers(job: JobModel, key: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for replica_type, spec in job.replica_specs().items():
        pod = (spec.template.get("spec") if spec is not None else None) or {}
        for field in ("initContainers", "containers"):
            for index, container in enumerate(pod.get(field) or []):
                if isinstance(container, Mapping):
                    yield f"spec.{key}[{replica_type}].template.spec.{field}[{index}]", container


def _container_problems(where: str, container: Mapping[str, Any], *, folder: Path, path: str) -> list[str]:
    command = container.get("command") or []
    if not command:
        return [
            f"{where}.command: {LOCAL_COMMAND_REQUIRED}: the local node runs containers as processes and "
            "pulls no images, so every container needs a command (write the image's entrypoint there)"
        ]
    program = str(command[0])
    mounts = container.get("volumeMounts") or []
    mounted = [str(m.get("mountPath", "")) for m in mounts if isinstance(m, dict)]
    if "$(" in program or any(program.startswith(p.rstrip("/") + "/") for p in mounted if p):
        return []  # expanded from env, or provided by a volume: only the pod sees it
    workdir = Path(str(container.get("workingDir") or folder))
    if _runnable(program, path, workdir):
        return []
    hint = _PACKAGES.get(os.path.basename(program))
    return [f"{where}.command[0]: {program!r} is not on this machine" + (f": {hint}" if hint else "")]


def _mpi_problems(job: JobModel, path: str) -> list[str]:
    found = [
        f"MPIJob: mpirun reaches its workers over SSH, and {program} is not on this machine: "
        + _PACKAGES[program]
        for program in ("sshd", "ssh")
        if not _runnable(program, os.pathsep.join([path, *SBIN]), Path("/"))
    ]
    implementation = str(getattr(job.spec, "mpi_implementation", None) or "OpenMPI")
    launchers, hint = _MPI_LAUNCHERS.get(implementation, _MPI_LAUNCHERS["OpenMPI"])
    if not any(_runnable(name, path, Path("/")) for name in launchers):
        found.append(f"MPIJob: no {implementation} launcher ({', '.join(launchers)}) on this machine: {hint}")
    return found


def _search_path(environ: Mapping[str, str]) -> str:
    """The local node's PATH: this interpreter's bin directory first (where torchrun & co. live)."""
    return os.pathsep.join([os.path.dirname(sys.executable), environ.get("PATH", os.defpath)])


def _runnable(program: str, path: str, workdir: Path) -> bool:
    if "/" in program:
        target = Path(program) if os.path.isabs(program) else workdir / program
        return target.is_file()
    return shutil.which(program, path=path) is not None
