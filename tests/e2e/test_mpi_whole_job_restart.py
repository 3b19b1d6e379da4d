"""Whole-job restart of a real MPIJob on the local node (runPolicy.wholeJobRestart, ours).

Covers: an OpenMPI job whose launcher's mpirun starts one rank on each of two workers over SSH; the test
SIGKILLs the rank on worker 1 mid-run; mpirun fails, so does its launcher Job, and the operator restarts
the launcher Job and both workers together (one recorded restart, one event, everything labelled and told
attempt 1, which mpirun forwards to the ranks); the second run's ranks finish and the job ends Succeeded.
"""

import os
import shutil
import signal
import time
from pathlib import Path

import kubernetes
import pytest

pytestmark = [pytest.mark.e2e]
ATTEMPT_LABEL = "training-operator.io/restart-attempt"
NAME = "e2e-mpi-whole-restart"
# One rank: says where and in which attempt it runs; in the first attempt it waits, so it can be killed.
RANK = """#!/bin/sh
echo "rank on $(hostname) attempt=${TRAINING_OPERATOR_RESTART_ATTEMPT:-unset}"
if [ "${TRAINING_OPERATOR_RESTART_ATTEMPT:-}" = 0 ]; then
  echo $$ > "$(dirname "$0")/pid-$(hostname)"
  exec sleep 300
fi
"""


def rank_pid(folder: Path, host: str, timeout: float = 120) -> int:
    """The first attempt's rank on `host`, once it started (it writes its pid; no API event says so)."""
    path = folder / f"pid-{host}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return int(path.read_text())
        time.sleep(0.2)
    pytest.fail(f"no rank started on {host} within {timeout}s")


def test_killing_one_rank_restarts_the_launcher_and_both_workers(jobs, mpi_folder):
    if not (shutil.which("mpirun.openmpi") and Path("/usr/sbin/sshd").exists()):
        pytest.skip("needs Debian's openmpi-bin and openssh-server")
    (mpi_folder / "rank").write_text(RANK)
    (mpi_folder / "rank").chmod(0o755)

    def run_locally(body: dict) -> None:
        body["spec"]["sshAuthMountPath"] = "/root/.ssh"
        body["spec"]["runPolicy"] = {"cleanPodPolicy": "Running", "wholeJobRestart": {"maxRestarts": 2}}
        specs = body["spec"]["mpiReplicaSpecs"]
        launcher = specs["Launcher"]["template"]["spec"]["containers"][0]
        forward = ["-x", "TRAINING_OPERATOR_RESTART_ATTEMPT"]  # ranks started over SSH inherit no env
        command = ["mpirun.openmpi", "--allow-run-as-root", *forward, "-n", "2", str(mpi_folder / "rank")]
        launcher.update(
            command=command, env=[{"name": "OMPI_MCA_plm_rsh_agent", "value": str(mpi_folder / "ssh")}]
        )
        launcher.pop("args")
        worker = specs["Worker"]["template"]["spec"]["containers"][0]
        worker.update(command=["/usr/sbin/sshd", "-De", "-f", str(mpi_folder / "sshd_config")])
        worker.pop("args")

    job = jobs.submit("mpi/pi/job.yaml", name=NAME, change=run_locally)
    rank_pid(mpi_folder, f"{NAME}-worker-0")
    os.kill(rank_pid(mpi_folder, f"{NAME}-worker-1"), signal.SIGKILL)  # one rank lost, as on a lost node

    job = jobs.wait(job, timeout=300)
    [launcher_pod] = [p for p in jobs.pods(job) if p.metadata.name.startswith(f"{NAME}-launcher")]
    log = jobs.log(launcher_pod.metadata.name)
    assert jobs.conditions(job)[-1] == ("Succeeded", "True"), (jobs.conditions(job), log)
    assert job["status"]["wholeJobRestarts"] == 1
    assert launcher_pod.metadata.labels[ATTEMPT_LABEL] == "1"
    for index in (0, 1):  # both workers ran the second attempt's rank, told which attempt it is
        assert f"rank on {NAME}-worker-{index} attempt=1" in log, log
    batch = kubernetes.client.BatchV1Api(jobs.core.api_client)
    assert batch.read_namespaced_job(f"{NAME}-launcher", "default").metadata.labels[ATTEMPT_LABEL] == "1"
    events = jobs.core.list_namespaced_event("default").items
    restarts = [e for e in events if e.involved_object.name == NAME and e.reason == "MPIJobWholeJobRestart"]
    assert sum(e.count or 1 for e in restarts) == 1, [e.message for e in restarts]
    assert "Launcher replica(s) failed: attempt 1" in restarts[0].message
