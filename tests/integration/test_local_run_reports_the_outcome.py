"""`training-operator local run JOB.yaml --follow`, as a user runs it: it starts a local cluster if none runs,
installs the CRDs, runs the operator next to it, prints the condition changes and the pod's log, and exits 0
when the job Succeeded, 1 when it Failed (saying why); `local down` stops the cluster.
"""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
CLI = str(Path(sys.executable).parent / "training-operator")


def job_file(tmp_path, name, code):
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "tfReplicaSpecs": {
                "Worker": {
                    "replicas": 1,
                    "restartPolicy": "Never",
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "tensorflow",
                                    "image": "local",
                                    "command": [
                                        "python",
                                        "-c",
                                        f"print('output of {name}'); raise SystemExit({code})",
                                    ],
                                }
                            ]
                        }
                    },
                }
            }
        },
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def local(*args, state):
    return subprocess.run(
        [CLI, "local", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )


def test_local_run_exits_with_the_jobs_outcome(tmp_path):
    state = tmp_path / "state"
    try:
        ok = local("run", str(job_file(tmp_path, "fine", 0)), "--follow", state=state)
        assert ok.returncode == 0, ok.stderr
        assert "Succeeded=True" in ok.stdout
        assert "[fine-worker-0] output of fine" in ok.stdout

        bad = local("run", str(job_file(tmp_path, "broken", 3)), "--follow", state=state)
        assert bad.returncode == 1, bad.stderr
        assert "Failed=True" in bad.stdout
        assert "1 Worker replica(s) failed" in bad.stdout
    finally:
        assert local("down", state=state).returncode == 0
