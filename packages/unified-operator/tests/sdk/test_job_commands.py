"""The job commands of the `training-operator` CLI, as a user runs them.

Covers: submit (multi-document, prints names, invalid YAML with file:line, unknown kind listing the known
ones, a server refusal), get (one kind, all kinds, one job, empty), describe, logs (master, replica filter,
follow), wait (progress lines, exit 0/1/2, bad duration), delete, render (objects as YAML, field problems,
framework missing), and errors for a missing namespace or kubeconfig.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml
from conftest import a_pytorch_job
from fakeapi import FakeApiServer
from test_pods_and_logs_by_label import job_pods

from training_operator.core.testing.demo_kind import DemoFramework, a_body
from training_operator.unified import jobcli
from training_operator.unified.sdk import kinds


@pytest.fixture
def run(kubeconfig: Path):
    def run(*argv: str) -> int:
        parser = argparse.ArgumentParser(prog="training-operator")
        jobcli.register(parser.add_subparsers(required=True))
        args = parser.parse_args([*argv, "--kubeconfig", str(kubeconfig)])
        return args.func(args)

    return run


def write(tmp_path: Path, *documents: dict, name: str = "jobs.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def test_submit_creates_every_document_and_prints_names(run, tmp_path, capsys, api: FakeApiServer):
    path = write(tmp_path, a_pytorch_job("a"), a_pytorch_job("b", namespace="default"))

    assert run("submit", path) == 0

    assert capsys.readouterr().out == "pytorchjob/a created\npytorchjob/b created\n"
    assert api.get("pytorchjobs", "default", "b") is not None


def test_submit_reports_invalid_yaml_with_file_and_line(run, tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text("kind: PyTorchJob\nmetadata:\n  name: [oops\n")

    assert run("submit", str(path)) == 1

    assert capsys.readouterr().err.startswith(f"error: {path}:4:1: invalid YAML")


def test_submit_unknown_kind_lists_the_known_ones(run, tmp_path, capsys):
    path = write(tmp_path, {"apiVersion": "kubeflow.org/v1", "kind": "PaddleJob", "metadata": {"name": "p"}})

    assert run("submit", path) == 1

    assert "unknown kind 'PaddleJob': known kinds are MPIJob, MXJob, PyTorchJob, TFJob, XGBoostJob" in (
        capsys.readouterr().err
    )


def test_submit_reports_an_invalid_job_and_goes_on(run, tmp_path, capsys):
    # Refused by the server, or before sending when the PyTorch plug-in is installed: same field, same path.
    path = write(tmp_path, a_pytorch_job("Bad_Name"), a_pytorch_job("good"))

    assert run("submit", path) == 1

    captured = capsys.readouterr()
    assert captured.out == "pytorchjob/good created\n"
    assert f"{path}:1: " in captured.err
    assert 'metadata.name: Invalid value: "Bad_Name"' in captured.err


def test_submit_into_a_missing_namespace(run, tmp_path, capsys):
    assert run("submit", write(tmp_path, a_pytorch_job("x")), "-n", "nowhere") == 1
    assert "namespace 'nowhere' not found" in capsys.readouterr().err


def test_get_lists_one_kind_as_a_table(run, capsys, api: FakeApiServer, client):
    client.create_job(a_pytorch_job("alpha"))
    api.set_conditions("pytorchjobs", "team", "alpha", "Created", "Running")

    assert run("get", "pytorchjobs") == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "STATE", "AGE"]
    assert lines[1].split()[:2] == ["alpha", "Running"]


def test_get_without_kind_lists_every_kind_and_skips_missing_crds(run, capsys, api: FakeApiServer, client):
    from fakeapi import SERVED

    client.create_job(a_pytorch_job("alpha"))
    client.create_job(
        {"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob", "metadata": {"name": "pi"}, "spec": {}}
    )
    served = SERVED[("kubeflow.org", "v1")].pop("mxjobs")
    try:
        assert run("get") == 0
    finally:
        SERVED[("kubeflow.org", "v1")]["mxjobs"] = served

    rows = [line.split()[:2] for line in capsys.readouterr().out.splitlines()]
    assert rows == [["KIND", "NAME"], ["MPIJob", "pi"], ["PyTorchJob", "alpha"]]


def test_get_one_missing_job(run, capsys):
    assert run("get", "tfjob", "nope") == 1
    assert capsys.readouterr().err == "error: TFJob team/nope not found\n"


def test_get_unknown_kind(run, capsys):
    assert run("get", "paddlejob") == 1
    assert "known kinds are" in capsys.readouterr().err


def test_describe_shows_spec_conditions_statuses_and_events(run, capsys, api: FakeApiServer, client):
    client.create_job(a_pytorch_job("alpha", workers=2))
    body = api.get("pytorchjobs", "team", "alpha")
    body["status"] = {"replicaStatuses": {"Worker": {"active": 2}}}
    api.put("pytorchjobs", body)
    api.set_conditions("pytorchjobs", "team", "alpha", "Created")
    api.add_event("team", "PyTorchJob", "alpha", "Created pod: alpha-worker-0", reason="SuccessfulCreatePod")

    assert run("describe", "pytorch", "alpha") == 0

    out = capsys.readouterr().out
    assert "  Worker: 2 x pytorch:2 (restartPolicy <default>)" in out
    assert "Created   True     JobCreated" in out
    assert "Worker   2        0           0" in out
    assert "SuccessfulCreatePod   Created pod: alpha-worker-0" in out


def test_logs_of_the_master_and_of_one_replica(run, capsys, api: FakeApiServer):
    job_pods(api)

    assert run("logs", "pytorchjob", "mnist") == 0
    assert capsys.readouterr().out == "master 0 says hi\n"
    assert run("logs", "pytorchjob", "mnist", "--replica-type", "Worker", "--index", "1") == 0
    assert capsys.readouterr().out == "worker 1 says hi\n"
    assert run("logs", "pytorchjob", "mnist", "--all") == 0
    assert capsys.readouterr().out.splitlines()[0] == "[mnist-master-0] master 0 says hi"


def test_logs_follow_and_no_pods(run, capsys, api: FakeApiServer):
    job_pods(api)
    assert run("logs", "pytorchjob", "mnist", "-f") == 0
    assert capsys.readouterr().out == "[mnist-master-0] master 0 says hi\n"
    assert run("logs", "tfjob", "none") == 1
    assert "has no started pods" in capsys.readouterr().err


def test_wait_prints_progress_and_exits_zero(run, capsys, api: FakeApiServer, client):
    client.create_job(a_pytorch_job("alpha"))
    api.set_conditions("pytorchjobs", "team", "alpha", "Created", "Running", "Succeeded")

    assert run("wait", "pytorchjob", "alpha", "--for=Succeeded", "--timeout=5s") == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "pytorchjob/alpha: Created=True (JobCreated job is created)"
    assert out[-1] == "pytorchjob/alpha condition met"


def test_wait_exits_one_when_the_job_failed(run, capsys, api: FakeApiServer, client):
    client.create_job(a_pytorch_job("alpha"))
    api.set_conditions("pytorchjobs", "team", "alpha", "Created", "Failed")

    assert run("wait", "pytorchjob", "alpha", "--timeout=30s") == 1
    assert "PyTorchJob team/alpha failed" in capsys.readouterr().err


def test_wait_exits_two_on_timeout(run, capsys, client):
    client.create_job(a_pytorch_job("alpha"))

    assert run("wait", "pytorchjob", "alpha", "--timeout=300ms") == 2
    assert "timed out after 0.3s" in capsys.readouterr().err


def test_wait_refuses_a_bad_duration(run, capsys):
    with pytest.raises(SystemExit) as caught:
        run("wait", "pytorchjob", "alpha", "--timeout=soon")
    assert caught.value.code == 2
    assert "invalid duration 'soon'" in capsys.readouterr().err


def test_delete(run, capsys, client):
    client.create_job(a_pytorch_job("alpha"))

    assert run("delete", "pytorchjob", "alpha") == 0
    assert capsys.readouterr().out == "pytorchjob/alpha deleted\n"
    assert client.list_jobs() == []


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

    assert run("render", write(tmp_path, a_pytorch_job())) == 1
    assert "pip install 'training-operator[pytorch]'" in capsys.readouterr().err
