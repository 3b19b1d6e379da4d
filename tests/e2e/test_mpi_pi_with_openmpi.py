"""MPIJob v2beta1 with OpenMPI on the local node (local-cluster.md §5): the launcher (a batch/v1 Job) runs
mpirun, which reaches both worker pods over SSH with the per-job key pair and the generated hostfile, and
ranks really run on the workers (their hostnames appear in the output). MPICH is not covered yet: its
proxies dial the launcher by its bare hostname, which the local node does not resolve."""

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (shutil.which("mpicc.openmpi") and Path("/usr/sbin/sshd").exists()),
        reason="needs Debian's openmpi-bin, libopenmpi-dev and openssh-server",
    ),
]
PI = Path(__file__).resolve().parents[2] / "examples" / "mpi" / "pi" / "pi.c"
SSHD_CONFIG = """Port 22
HostKey /root/.ssh/id_rsa
PermitRootLogin yes
StrictModes no
UsePAM no
PidFile none
AuthorizedKeysFile /root/.ssh/authorized_keys
PasswordAuthentication no
"""


def an_mpijob(name: str, folder: Path) -> dict:
    def replica(count: int, command: list[str], env: list[dict] | None = None) -> dict:
        container = {"name": "mpi", "image": "local", "command": command, "env": env or []}
        return {"replicas": count, "template": {"spec": {"containers": [container]}}}

    ssh = "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
    return {
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "slotsPerWorker": 1,
            "mpiImplementation": "OpenMPI",
            "mpiReplicaSpecs": {
                "Launcher": replica(
                    1,
                    ["mpirun", "--allow-run-as-root", "-n", "2", str(folder / "pi")],
                    [{"name": "OMPI_MCA_plm_rsh_agent", "value": ssh}],
                ),
                "Worker": replica(2, ["/usr/sbin/sshd", "-De", "-f", str(folder / "sshd_config")]),
            },
        },
    }


def test_openmpi_pi_runs_on_both_workers(jobs, tmp_path):
    subprocess.run(["mpicc.openmpi", "-O2", "-o", str(tmp_path / "pi"), str(PI)], check=True)
    (tmp_path / "sshd_config").write_text(SSHD_CONFIG)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    body = an_mpijob("e2e-mpi-pi", tmp_path)
    created = jobs.custom.create_namespaced_custom_object(
        "kubeflow.org", "v2beta1", "default", "mpijobs", body
    )
    job = jobs.wait(created)
    assert jobs.conditions(job)[-1] == ("Succeeded", "True"), jobs.conditions(job)
    launcher = next(p for p in jobs.pods(job) if p.metadata.name.startswith("e2e-mpi-pi-launcher"))
    log = jobs.log(launcher.metadata.name)
    assert "pi is approximately 3.1" in log, log
    assert "on e2e-mpi-pi-worker-0" in log
    assert "on e2e-mpi-pi-worker-1" in log
