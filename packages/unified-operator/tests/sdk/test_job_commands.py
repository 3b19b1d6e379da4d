"""The job commands of the `training-operator` CLI, as a user runs them against the local cluster.

Covers: submit (multi-document, prints names, invalid YAML with file:line, unknown kind listing the known
ones, a server refusal with its field, forbidden), get (one kind, all kinds skipping kinds whose CRD is
absent, one job, missing job, empty), describe, logs (master, replica filter, follow), wait (progress lines
from a watch, exit 0/1/2, bad duration), delete (also a missing job), suspend/resume (merge patch of
runPolicy.suspend), events, version (the SDK's and the cluster's CRD versions; not installed, rejected
credentials and no server are notes), render (objects as YAML, field problems, framework missing; no
cluster), and errors for a missing namespace or kubeconfig.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import kubernetes
import pytest
import yaml
from localapi import World, a_pytorch_job, install_crds

from training_operator.core.testing.demo_kind import DemoFramework, a_body
from training_operator.local.testing import BackgroundCluster
from training_operator.unified import __about__, cli, jobcli
from training_operator.unified.sdk import TrainingClient, kinds, printing


def run_against(kubeconfig: Path, *argv: str) -> int:
    """Parse and run one job command as `training-operator ... --kubeconfig FILE` would."""
    parser = argparse.ArgumentParser(prog="training-operator")
    jobcli.register(parser.add_subparsers(required=True))
    args = parser.parse_args([*argv, "--kubeconfig", str(kubeconfig)])
    return int(args.func(args))


@pytest.fixture
def run(kubeconfig: Path):
    return lambda *argv: run_against(kubeconfig, *argv)


def write(tmp_path: Path, *documents: dict, name: str = "jobs.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def test_submit_creates_every_document_and_prints_names(run, tmp_path, capsys, world: World):
    path = write(tmp_path, a_pytorch_job("a"), a_pytorch_job("b"))

    assert run("submit", path) == 0

    assert capsys.readouterr().out == "pytorchjob/a created\npytorchjob/b created\n"
    assert world.get("pytorchjobs", "b") is not None


def test_submit_reads_standard_input(run, capsys, monkeypatch, world: World):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(yaml.safe_dump(a_pytorch_job("piped"))))

    assert run("submit", "-") == 0
    assert world.get("pytorchjobs", "piped") is not None


def test_submit_reports_invalid_yaml_with_file_and_line(run, tmp_path, capsys, world: World):
    path = tmp_path / "broken.yaml"
    path.write_text("kind: PyTorchJob\nmetadata:\n  name: [oops\n")

    assert run("submit", str(path)) == 1

    assert capsys.readouterr().err.startswith(f"error: {path}:4:1: invalid YAML")
    assert world.requests() == {}


def test_submit_unknown_kind_lists_the_known_ones(run, tmp_path, capsys):
    path = write(tmp_path, {"apiVersion": "kubeflow.org/v1", "kind": "FooJob", "metadata": {"name": "p"}})

    assert run("submit", path) == 1

    known = "JAXJob, MPIJob, MXJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob"
    assert f"unknown kind 'FooJob': known kinds are {known}" in capsys.readouterr().err


def test_submit_reports_an_invalid_job_and_goes_on(run, tmp_path, capsys):
    # Refused by the server, or before sending when the PyTorch plug-in is installed: same field, same path.
    path = write(tmp_path, a_pytorch_job("Bad_Name"), a_pytorch_job("good"))

    assert run("submit", path) == 1

    captured = capsys.readouterr()
    assert captured.out == "pytorchjob/good created\n"
    assert f"{path}:1: " in captured.err
    assert 'metadata.name: Invalid value: "Bad_Name"' in captured.err


@pytest.mark.parametrize("command", ["submit", "render"])
def test_an_unknown_field_is_refused_with_its_path(run, tmp_path, capsys, command):
    typo = a_pytorch_job("typo")
    typo["spec"]["pytorchReplicaSpecs"]["Worker"]["replicass"] = 2

    assert run(command, write(tmp_path, typo)) == 1

    assert 'strict decoding error: unknown field "spec.pytorchReplicaSpecs.Worker.replicass"' in (
        capsys.readouterr().err
    )


def test_submit_shows_the_servers_field_cause(run, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(kinds, "registry", lambda: kinds._BUILTIN_BY_KIND)  # no local check: the server's
    monkeypatch.setattr(kinds, "_builtin", lambda ref: ref)
    bad = a_pytorch_job("bad")
    bad["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = "two"

    assert run("submit", write(tmp_path, bad)) == 1
    assert (
        "spec.pytorchReplicaSpecs.Worker.replicas in body must be of type integer" in capsys.readouterr().err
    )


def test_submit_into_a_missing_namespace(run, tmp_path, capsys):
    assert run("submit", write(tmp_path, a_pytorch_job("x")), "-n", "nowhere") == 1
    assert "namespace 'nowhere' not found" in capsys.readouterr().err


def test_submit_into_a_terminating_namespace_is_forbidden(run, tmp_path, capsys, world: World):
    assert run("submit", write(tmp_path, a_pytorch_job("x")), "-n", world.terminating_namespace()) == 1
    assert "forbidden: " in capsys.readouterr().err


def test_get_lists_one_kind_as_a_table(run, capsys, world: World, client):
    assert run("get", "pytorchjobs") == 0
    assert capsys.readouterr().out == f"No PyTorchJobs found in {world.namespace}.\n"
    client.create_job(a_pytorch_job("alpha"))
    world.set_conditions("pytorchjobs", "alpha", "Created", "Running")

    assert run("get", "pytorchjobs") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "REPLICAS", "AGE"]
    assert lines[1].split()[:3] == ["alpha", "Running", "Master:0/1,Worker:0/1"]
    assert lines[1].split()[3].endswith("s")
    assert run("get", "pt", "alpha") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[:2] == ["alpha", "Running"]


def test_get_without_kind_lists_every_kind_and_skips_missing_crds(tmp_path, capsys):
    with BackgroundCluster(tmp_path / "bare", kubelet=False) as bare:
        kube = kubernetes.config.new_client_from_config(config_file=str(bare.kubeconfig_path))
        install_crds(kube, skip=("mxjobs",))
        client = TrainingClient(config_file=str(bare.kubeconfig_path))
        client.create_job(a_pytorch_job("alpha"))
        mpi = {"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob", "metadata": {"name": "pi"}}
        client.create_job({**mpi, "spec": {"mpiReplicaSpecs": {"Launcher": {"replicas": 1, "template": {}}}}})

        assert run_against(bare.kubeconfig_path, "get") == 0
        assert run_against(bare.kubeconfig_path, "get", "mxjobs") == 1
        captured = capsys.readouterr()
        assert run_against(bare.kubeconfig_path, "version") == 0
        kube.close()

    assert "  MXJob        not installed\n" in capsys.readouterr().out
    rows = [line.split()[:2] for line in captured.out.splitlines()]
    assert rows == [["KIND", "NAME"], ["MPIJob", "pi"], ["PyTorchJob", "alpha"]]
    assert "MXJob in default: kind not installed in the cluster" in captured.err


def test_get_one_missing_job(run, capsys, world: World):
    assert run("get", "tfjob", "nope") == 1
    assert capsys.readouterr().err == f"error: TFJob {world.namespace}/nope not found\n"


def test_get_unknown_kind(run, capsys):
    assert run("get", "sparkjob") == 1
    assert "known kinds are" in capsys.readouterr().err


def test_describe_shows_spec_conditions_statuses_and_events(run, capsys, world: World, client):
    client.create_job(a_pytorch_job("alpha", workers=2))
    world.set_conditions("pytorchjobs", "alpha", "Created", replicaStatuses={"Worker": {"active": 2}})
    world.add_event("PyTorchJob", "alpha", "Created pod: alpha-worker-0", reason="SuccessfulCreatePod")

    assert run("describe", "pytorch", "alpha") == 0

    out = capsys.readouterr().out
    assert f"Namespace:    {world.namespace}" in out
    assert "  Worker: 2 x pytorch:2 (restartPolicy <default>)" in out
    assert "Created   True     JobCreated" in out
    assert "Worker   2        0           0" in out
    assert "SuccessfulCreatePod   Created pod: alpha-worker-0" in out
    assert run("describe", "pytorch", "absent") == 1


def test_logs_of_the_master_and_of_one_replica(run, capsys, world: World):
    world.job_pods()

    assert run("logs", "pytorchjob", "mnist") == 0
    assert capsys.readouterr().out == "master 0 says hi\n"
    assert run("logs", "pytorchjob", "mnist", "--replica-type", "Worker", "--index", "1") == 0
    assert capsys.readouterr().out == "worker 1 says hi\n"
    assert run("logs", "pytorchjob", "mnist", "--all") == 0
    assert capsys.readouterr().out.splitlines()[0] == "[pod/mnist-master-0/pytorch] master 0 says hi"
    assert run("logs", "pytorchjob", "mnist", "-c", "sidecar") == 0
    assert capsys.readouterr().out == "noise\n"


def test_logs_follow_and_no_pods(run, capsys, world: World, client):
    client.create_job(a_pytorch_job("mnist"))
    world.job_pods()
    world.set_conditions("pytorchjobs", "mnist", "Created", "Succeeded")

    assert run("logs", "pytorchjob", "mnist", "-f") == 0  # ends by itself: the job has finished
    assert capsys.readouterr().out == "master 0 says hi\n"
    assert run("logs", "pytorchjob", "mnist", "-f", "--all") == 0
    assert sorted(capsys.readouterr().out.splitlines()) == [
        "[pod/mnist-master-0/pytorch] master 0 says hi",
        "[pod/mnist-worker-0/pytorch] worker 0 says hi",
        "[pod/mnist-worker-1/pytorch] worker 1 says hi",
    ]
    assert run("logs", "tfjob", "none") == 1
    assert "has no started pods" in capsys.readouterr().err
    assert run("logs", "tfjob", "none", "-f") == 1
    assert f"TFJob {world.namespace}/none not found" in capsys.readouterr().err


def test_wait_prints_progress_and_exits_zero(run, capsys, world: World, client):
    client.create_job(a_pytorch_job("alpha"))
    world.set_conditions("pytorchjobs", "alpha", "Created", "Running", "Succeeded")

    assert run("wait", "pytorchjob", "alpha", "--for=Succeeded", "--timeout=5s") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "pytorchjob/alpha: Created=True (JobCreated job is created)"
    assert out[-1] == "pytorchjob/alpha condition met"


def test_wait_reports_changes_as_the_watch_delivers_them(run, capsys, world: World, client, monkeypatch):
    client.create_job(a_pytorch_job("alpha"))
    world.reset_requests()
    steps = [("Created",), ("Created", "Running"), ("Created", "Succeeded")]
    printed = []

    def progress(what, condition) -> str:  # each progress line moves the job on, as an operator would
        printed.append(condition.type)
        if steps:
            world.set_conditions("pytorchjobs", "alpha", *steps.pop(0))
        return f"{what}: {condition.type}"

    monkeypatch.setattr(printing, "progress", progress)
    world.set_conditions("pytorchjobs", "alpha", *steps.pop(0))

    assert run("wait", "pytorchjob", "alpha", "--for=Succeeded,Failed", "--timeout=20s") == 0

    assert printed == ["Created", "Running", "Succeeded"]
    assert world.requests()["get pytorchjobs"] == 1


def test_wait_exits_one_when_the_job_failed(run, capsys, world: World, client):
    client.create_job(a_pytorch_job("alpha"))
    world.set_conditions("pytorchjobs", "alpha", "Created", "Failed")

    assert run("wait", "pytorchjob", "alpha", "--timeout=30s") == 1
    assert f"PyTorchJob {world.namespace}/alpha failed" in capsys.readouterr().err


def test_wait_exits_two_on_timeout(run, capsys, client):
    client.create_job(a_pytorch_job("alpha"))

    assert run("wait", "pytorchjob", "alpha", "--timeout=300ms") == 2
    assert "timed out after 0.3s" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        pytest.param("--timeout=soon", "invalid duration 'soon'", id="duration"),
        pytest.param("--for=Done", "must be among", id="condition"),
    ],
)
def test_wait_refuses_bad_flags_as_usage_errors(run, capsys, flag, message):
    with pytest.raises(SystemExit) as caught:
        run("wait", "pytorchjob", "alpha", flag)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


def test_delete(run, capsys, client):
    client.create_job(a_pytorch_job("alpha"))

    assert run("delete", "pytorchjob", "alpha") == 0
    assert capsys.readouterr().out == "pytorchjob/alpha deleted\n"
    assert client.list_jobs() == []
    assert run("delete", "pytorchjob", "alpha") == 1
    assert "not found" in capsys.readouterr().err


def test_suspend_and_resume_patch_only_run_policy_suspend(run, capsys, world: World, client):
    job = a_pytorch_job("alpha")
    job["spec"]["runPolicy"] = {"backoffLimit": 3}
    client.create_job(job)

    assert run("suspend", "pytorchjob", "alpha", "missing") == 1

    captured = capsys.readouterr()
    assert captured.out == "pytorchjob/alpha suspended\n"
    assert "missing not found" in captured.err
    stored = world.get("pytorchjobs", "alpha")
    assert stored is not None
    assert stored["spec"]["runPolicy"] == {"backoffLimit": 3, "suspend": True}
    assert run("resume", "pytorch", "alpha") == 0
    assert capsys.readouterr().out == "pytorchjob/alpha resumed\n"
    resumed = world.get("pytorchjobs", "alpha")
    assert resumed is not None
    assert resumed["spec"]["runPolicy"]["suspend"] is False
    assert world.requests()["patch pytorchjobs"] == 3  # alpha, missing (404), alpha again: no reads


def test_events_of_a_job(run, capsys, world: World, client):
    client.create_job(a_pytorch_job("alpha"))
    assert run("events", "pytorchjob", "alpha") == 0
    assert capsys.readouterr().out == "No events found for pytorchjob/alpha.\n"
    world.add_event("PyTorchJob", "alpha", "Created pod: alpha-master-0", reason="SuccessfulCreatePod")
    world.add_event("Pod", "alpha-master-0", "Started")

    assert run("events", "pytorchjob", "alpha") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["TIME", "TYPE", "REASON", "MESSAGE"]
    assert lines[1].split() == [
        "2024-01-01T00:00:00Z",
        "Normal",
        "SuccessfulCreatePod",
        "Created",
        "pod:",
        "alpha-master-0",
    ]
    assert len(lines) == 2  # the pod's event is not the job's
    assert run("events", "pytorchjob", "nope") == 1
    assert "not found" in capsys.readouterr().err


def test_version_lists_the_clusters_crd_versions(run, capsys, world: World):
    assert run("version") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"training-operator SDK {__about__.__version__}"
    assert lines[1] == f"server: {world.cluster.url}"
    assert [line.split() for line in lines[2:]] == [
        ["JAXJob", "v1"],
        ["MPIJob", "v2beta1"],
        ["MXJob", "v1"],
        ["PaddleJob", "v1"],
        ["PyTorchJob", "v1"],
        ["TFJob", "v1"],
        ["XGBoostJob", "v1"],
    ]


def test_version_in_the_operators_cli_adds_the_server_part(world: World, capsys):
    assert cli.main(["version", "--kubeconfig", str(world.kubeconfig)]) == 0

    out = capsys.readouterr().out
    assert out.startswith(f"training-operator {__about__.__version__}\n")  # the operator's own lines first
    assert f"server: {world.cluster.url}\n" in out
    assert "  PyTorchJob   v1\n" in out


def test_version_degrades_without_crd_access_or_a_server(world: World, tmp_path, capsys):
    config = yaml.safe_load(world.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "wrong"
    rejected = tmp_path / "rejected"
    rejected.write_text(yaml.safe_dump(config))
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:1"
    nowhere = tmp_path / "nowhere"
    nowhere.write_text(yaml.safe_dump(config))

    assert run_against(rejected, "version") == 0
    assert "CRD versions unknown: unauthorized" in capsys.readouterr().out
    assert run_against(nowhere, "version") == 0
    assert "server: unavailable: " in capsys.readouterr().out


def test_missing_kubeconfig_is_reported(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    jobcli.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["get", "--kubeconfig", str(tmp_path / "absent")])

    assert args.func(args) == 1
    assert capsys.readouterr().err.startswith("error: cannot load the cluster configuration")


@pytest.fixture
def demo_kind(monkeypatch):
    demo = kinds.KindRef("DemoJob", "kubeflow.org", "v1", "demojobs", "demo", framework=DemoFramework())
    monkeypatch.setattr(kinds, "registry", lambda: {**kinds._BUILTIN_BY_KIND, "DemoJob": demo})


def test_render_prints_the_children_as_yaml(run, tmp_path, capsys, demo_kind):
    assert run("render", write(tmp_path, a_body())) == 0

    rendered = list(yaml.safe_load_all(capsys.readouterr().out))
    assert [(o["kind"], o["metadata"]["name"]) for o in rendered] == [
        ("Pod", "job-a-worker-0"),
        ("Service", "job-a-worker-0"),
    ]


def test_render_prints_field_problems_of_an_invalid_job(run, tmp_path, capsys, demo_kind):
    path = write(tmp_path, a_body(Worker={"replicas": 1, "template": {}}))

    assert run("render", path) == 1

    err = capsys.readouterr().err
    assert "spec.demoReplicaSpecs[Worker].template.spec.containers: Required value" in err


def test_render_without_the_framework_says_what_to_install(run, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(kinds, "registry", lambda: kinds._BUILTIN_BY_KIND)
    monkeypatch.setattr(kinds, "_builtin", lambda ref: ref)

    assert run("render", write(tmp_path, a_pytorch_job())) == 1
    assert "pip install 'training-operator[pytorch]'" in capsys.readouterr().err
