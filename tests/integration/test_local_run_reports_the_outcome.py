"""`training-operator local run JOB.yaml --follow`, as a user runs it: it starts the local cluster (with the
operator and its webhooks) as a daemon if none runs, creates the job, prints the conditions that become
True and every container attempt's log (restarts prefixed with the attempt), and exits 0 when the job
Succeeded, 1 when it Failed, saying why from the failing pod's exit code and last log lines. Ctrl-C deletes
the job (exit 130); a run stops the cluster it started, and leaves one kept up with `local up` running.
That cluster is the one of its state dir (a second `local up` reports it and exits 0); it admits jobs as a
real cluster with our manifests does (the operator's webhooks, strict fields), and a job created through
the API with the working-dir annotation on the job finds its scripts, as with `local run`.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from training_operator.core import access
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.local import daemon
from training_operator.local.testing import BackgroundCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]
CLI = str(Path(sys.executable).parent / "training-operator")
TFJOBS = "/apis/kubeflow.org/v1/namespaces/default/tfjobs"


def job_file(tmp_path, name, script, *, policy="Never", backoff=None, workers=1):
    spec = {
        "tfReplicaSpecs": {
            "Worker": {
                "replicas": workers,
                "restartPolicy": policy,
                "template": {
                    "spec": {
                        "containers": [
                            {
                                "name": "tensorflow",
                                "image": "local",
                                "command": ["python", "-u", "-c", script],
                            }
                        ]
                    }
                },
            }
        }
    }
    if backoff is not None:
        spec["runPolicy"] = {"backoffLimit": backoff}
    body = {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": name}, "spec": spec}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def local(*args, state, timeout=150):
    return subprocess.run(
        [CLI, "local", *args, "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def state(tmp_path):
    directory = tmp_path / "state"
    yield directory
    daemon.stop(directory)


@pytest.fixture
def kept_up(state, tmp_path):
    """`training-operator local up` in the foreground of a child process, as a user keeps a cluster up."""
    output = tmp_path / "up.out"
    with output.open("w") as out:
        process = subprocess.Popen([CLI, "local", "up", "--state-dir", str(state)], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 60
        while daemon.is_running(state) is None:  # recorded once the operator reconciles, webhooks answer
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        assert "local cluster at https://127.0.0.1:" in output.read_text()
        yield state
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0, output.read_text()[-3000:]


def test_local_run_exits_with_the_jobs_outcome_and_says_why(tmp_path, state):
    ok = local("run", str(job_file(tmp_path, "fine", "print('output of fine')")), "--follow", state=state)
    assert ok.returncode == 0, ok.stderr
    assert "Succeeded=True" in ok.stdout
    assert "[fine-worker-0] output of fine" in ok.stdout
    assert "=False" not in ok.stdout  # only conditions that are True
    again = local("run", str(tmp_path / "fine.yaml"), state=state)  # the state dir keeps the first one
    assert again.returncode == 0, again.stderr
    assert "replacing the finished TFJob default/fine of an earlier run" in again.stdout

    script = "print('about to fail'); raise SystemExit(3)"
    bad = local("run", str(job_file(tmp_path, "broken", script)), state=state)  # no --follow: still why
    assert bad.returncode == 1, bad.stderr
    assert "Failed=True" in bad.stdout
    assert "1 Worker replica(s) failed" in bad.stdout
    assert (
        "why: pod default/broken-worker-0 (container tensorflow, attempt 1) exited with code 3" in bad.stdout
    )
    assert "    | about to fail" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr

    assert daemon.is_running(state) is None  # the runs stopped the cluster they started


def test_restarted_containers_are_followed_with_their_attempt(tmp_path, state):
    script = "print('attempt starts'); raise SystemExit(1)"
    path = job_file(tmp_path, "flaky", script, policy="OnFailure", backoff=2)
    done = local("run", str(path), "--follow", state=state)
    assert done.returncode == 1, done.stderr
    assert "[flaky-worker-0] attempt starts" in done.stdout
    assert "[flaky-worker-0 attempt 2] attempt starts" in done.stdout
    assert "flaky-worker-0: container tensorflow restarted (attempt 2)" in done.stdout
    assert "reached the specified backoff limit" in done.stdout


def test_ctrl_c_deletes_the_job_and_stops_what_the_run_started(tmp_path, state):
    path = job_file(tmp_path, "endless", "import time; print('working'); time.sleep(600)", workers=2)
    run = subprocess.Popen(
        [CLI, "local", "run", str(path), "--follow", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert run.stdout is not None
        seen = []
        for line in run.stdout:  # both workers run: their first lines arrived
            seen.append(line)
            if sum("working" in s for s in seen) == 2:
                break
        found = daemon.is_running(state)
        assert found is not None
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=90)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, err
    assert "interrupted: deleting TFJob default/endless" in out
    assert "stopping the local cluster this run started" in out
    assert daemon.is_running(state) is None
    assert not _alive(found.pid)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


async def test_a_kept_up_cluster_is_the_state_dirs_one_and_admits_like_a_real_one(tmp_path, kept_up, kit):
    state = kept_up
    again = await asyncio.to_thread(local, "up", state=state, timeout=30)
    assert again.returncode == 0, again.stderr
    assert f"a local cluster already runs on {state}" in again.stdout
    first = job_file(tmp_path, "first", "print('up')")
    used = await asyncio.to_thread(local, "run", str(first), state=state)
    assert used.returncode == 0, used.stderr
    assert "stopping" not in used.stdout
    assert daemon.is_running(state) is not None  # a cluster the run did not start keeps running
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "train.py").write_text("import os; print('cwd', os.getcwd())\n")

    async with ApiClient(access.load(str(state / "kubeconfig"))) as api:
        bad = yaml.safe_load(job_file(tmp_path, "bad", "pass").read_text())
        del bad["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["image"]
        with pytest.raises(ApiError) as refused:  # the operator's validating webhook
            await api.request("POST", TFJOBS, body=bad)
        assert refused.value.status == 403
        assert "containers[0].image: Required value" in refused.value.message
        typo = yaml.safe_load(job_file(tmp_path, "typo", "pass").read_text())
        typo["spec"]["tfReplicaSpecs"]["Worker"]["replicass"] = 2
        with pytest.raises(ApiError) as refused:  # strict fields, without asking for them
            await api.request("POST", TFJOBS, body=typo)
        assert refused.value.status == 400
        assert 'unknown field "spec.tfReplicaSpecs.Worker.replicass"' in refused.value.message

        # as docs/getting-started.md shows for kubectl and the SDK: the annotation on the job itself
        body = yaml.safe_load(job_file(tmp_path, "api", "").read_text())
        container = body["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
        container["command"] = ["python3", "train.py"]
        body["metadata"]["annotations"] = {"local.training-operator.io/working-dir": str(folder)}
        await api.request("POST", TFJOBS, body=body)

        async def finished():
            status = (await api.request("GET", f"{TFJOBS}/api")).get("status") or {}
            true = {c["type"] for c in status.get("conditions") or [] if c["status"] == "True"}
            return true & {"Succeeded", "Failed"}

        assert await kit.eventually(finished, within=60, what="the job finished") == {"Succeeded"}
        assert api.session is not None
        async with api.session.get("/api/v1/namespaces/default/pods/api-worker-0/log") as response:
            assert f"cwd {folder}" in await response.text()


def test_a_bare_cluster_without_the_operator_is_refused_plainly(tmp_path):
    with BackgroundCluster(tmp_path / "bare", kubelet=False) as bare:
        daemon.write_pid_file(bare.state_dir, bare.url)  # as `training-operator-local up` records itself
        done = local("run", str(job_file(tmp_path, "lonely", "pass")), state=bare.state_dir, timeout=30)
    assert done.returncode == 2
    assert "runs without the operator" in done.stderr


def test_kubeflows_own_sdk_is_refused_an_invalid_managed_by_on_a_kept_up_cluster(kept_up):
    # Kubeflow's SDK e2e expects the webhook to refuse this; locally it now does, as a real cluster would
    kubeflow = pytest.importorskip("kubeflow.training")
    import kubernetes

    container = kubernetes.client.V1Container(name="pytorch", image="x", command=["true"])
    template = kubernetes.client.V1PodTemplateSpec(spec=kubernetes.client.V1PodSpec(containers=[container]))
    job = kubeflow.KubeflowOrgV1PyTorchJob(
        api_version="kubeflow.org/v1",
        kind="PyTorchJob",
        metadata=kubernetes.client.V1ObjectMeta(name="managed", namespace="default"),
        spec=kubeflow.KubeflowOrgV1PyTorchJobSpec(
            run_policy=kubeflow.KubeflowOrgV1RunPolicy(managed_by="kueue.x-k8s.io/other-controller"),
            pytorch_replica_specs={
                "Worker": kubeflow.KubeflowOrgV1ReplicaSpec(replicas=1, template=template)
            },
        ),
    )
    client = kubeflow.TrainingClient(config_file=str(kept_up / "kubeconfig"))
    with pytest.raises(Exception, match="managedBy") as refused:  # the SDK wraps the 403 in its own error
        client.create_job(job)
    assert "spec.runPolicy.managedBy: Unsupported value" in str(refused.value)
