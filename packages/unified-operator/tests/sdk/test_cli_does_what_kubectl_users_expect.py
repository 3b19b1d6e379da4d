"""The CLI as a kubectl user drives it, against the local cluster.

Covers: `get -A` (a NAMESPACE column; NAME with -A is a usage error), `-o name|json|yaml|wide` (one object
by name, a List otherwise, YAML that reads back), the REPLICAS column (running/total per type, succeeded
once finished), `apply -f` (creates, removes what the manifest no longer has, a conflict with the fields'
owner and the fix, --force-conflicts), `run --image … -- CMD` (the job built as Kubeflow's image mode with
the command in every replica, a generated name, --dry-run), `submit --wait` and `wait` (progress lines when
not a terminal, exit 0 succeeded / 1 failed / 2 timed out), `-v` request lines, the exit codes of
`training-operator` itself (0, 1, 2), and `render -o json|name`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from localapi import GROUP, World, a_pytorch_job, new_namespace

from training_operator.unified import cli, progress

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cmd(kubeconfig: Path):
    """`training-operator ARGS --kubeconfig FILE` through the real entry point; its exit code."""
    return lambda *argv: cli.main([*argv, "--kubeconfig", str(kubeconfig)])


def write(tmp_path: Path, *documents: dict, name: str = "job.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(documents))
    return str(path)


def test_get_all_namespaces_and_output_formats(cmd, capsys, world: World):
    other = new_namespace(world.kube)
    world.custom.create_namespaced_custom_object(
        GROUP, "v1", world.namespace, "pytorchjobs", a_pytorch_job("a")
    )
    world.custom.create_namespaced_custom_object(GROUP, "v1", other, "pytorchjobs", a_pytorch_job("b"))

    assert cmd("get", "pytorchjobs", "-A") == 0
    rows = [line.split()[:3] for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["NAMESPACE", "NAME", "STATE"]
    assert [world.namespace, "a", "<none>"] in rows
    assert [other, "b", "<none>"] in rows

    assert cmd("get", "pytorchjobs", "-o", "name") == 0
    assert capsys.readouterr().out == "pytorchjob.kubeflow.org/a\n"
    assert cmd("get", "pytorchjob", "a", "-o", "json") == 0
    assert json.loads(capsys.readouterr().out)["metadata"]["name"] == "a"
    assert cmd("get", "pytorchjobs", "-o", "yaml") == 0
    listed = yaml.safe_load(capsys.readouterr().out)
    assert (listed["kind"], [i["metadata"]["name"] for i in listed["items"]]) == ("List", ["a"])
    assert cmd("get", "-o", "wide") == 0
    assert capsys.readouterr().out.splitlines()[0].split() == [
        "KIND", "NAME", "STATE", "REPLICAS", "AGE", "SUCCEEDED", "FAILED", "REASON",
    ]  # fmt: skip

    assert cmd("get", "pytorchjob", "a", "-A") == 2
    assert "across all namespaces" in capsys.readouterr().err


def test_replicas_show_running_then_succeeded_pods(cmd, capsys, world: World):
    world.custom.create_namespaced_custom_object(
        GROUP, "v1", world.namespace, "pytorchjobs", a_pytorch_job("r", workers=2)
    )
    world.set_conditions("pytorchjobs", "r", "Created", "Running", replicaStatuses={"Worker": {"active": 1}})
    assert cmd("get", "pytorchjob", "r") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[2] == "Master:0/1,Worker:1/2"

    world.set_conditions(
        "pytorchjobs",
        "r",
        "Created",
        "Succeeded",
        replicaStatuses={"Master": {"succeeded": 1}, "Worker": {"succeeded": 2}},
    )
    assert cmd("get", "pytorchjob", "r") == 0
    assert capsys.readouterr().out.splitlines()[1].split()[2] == "Master:1/1,Worker:2/2"


def test_apply_creates_changes_and_reports_conflicts(cmd, capsys, world: World, tmp_path: Path):
    job = a_pytorch_job("app")
    job["metadata"]["labels"] = {"stage": "dev"}
    assert cmd("apply", "-f", write(tmp_path, job)) == 0
    assert capsys.readouterr().out == "pytorchjob/app applied\n"

    del job["metadata"]["labels"]
    assert cmd("apply", "-f", write(tmp_path, job)) == 0
    stored = world.get("pytorchjobs", "app")
    assert stored is not None
    assert "labels" not in stored["metadata"]  # ours before, gone from the manifest: removed

    world.custom.create_namespaced_custom_object(
        GROUP, "v1", world.namespace, "pytorchjobs", a_pytorch_job("mine")
    )
    changed = a_pytorch_job("mine", workers=3)
    capsys.readouterr()
    assert cmd("apply", write(tmp_path, changed)) == 1
    err = capsys.readouterr().err
    assert ".spec.pytorchReplicaSpecs.Worker.replicas" in err
    assert "--force-conflicts" in err
    assert cmd("apply", write(tmp_path, changed), "--force-conflicts") == 0


def test_run_builds_a_job_from_an_image(cmd, capsys, world: World, kubeconfig: Path):
    argv = ["run", "--image", "pt:2", "--workers", "3", "--env", "EPOCHS=2", "--name", "quick"]
    command = ["--", "python", "train.py", "--lr", "0.1"]
    assert cli.main([*argv, "--kubeconfig", str(kubeconfig), *command]) == 0
    assert capsys.readouterr().out == "pytorchjob/quick created\n"
    stored = world.get("pytorchjobs", "quick")
    assert stored is not None
    specs = stored["spec"]["pytorchReplicaSpecs"]
    assert {t: s["replicas"] for t, s in specs.items()} == {"Master": 1, "Worker": 2}
    container = specs["Worker"]["template"]["spec"]["containers"][0]
    assert container["image"] == "pt:2"
    assert container["command"] == ["python", "train.py", "--lr", "0.1"]
    assert container["env"] == [{"name": "EPOCHS", "value": "2"}]

    assert cmd("run", "--image", "pt:2") == 0
    assert capsys.readouterr().out.startswith("pytorchjob/pytorchjob-")  # a name the server generated

    world.reset_requests()
    assert cli.main(["run", "--kind", "tfjob", "--image", "tf:2", "--dry-run", "--", "python", "t.py"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["kind"] == "TFJob"
    assert printed["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "t.py",
    ]
    assert world.requests() == {}  # nothing sent


@pytest.fixture
def operator_steps(monkeypatch, world: World):
    """Each version the progress display shows moves the job on, as an operator would."""

    def steps(name: str, *states: tuple[str, ...]) -> None:
        pending = list(states)
        shown = progress.Board.show

        def show(board, job) -> None:
            shown(board, job)
            if pending and job.name == name:
                world.set_conditions("pytorchjobs", name, *pending.pop(0))

        monkeypatch.setattr(progress.Board, "show", show)

    return steps


SUCCEEDS = [("Created",), ("Created", "Running"), ("Created", "Succeeded")]


@pytest.mark.parametrize(
    ("states", "timeout", "code", "last"),
    [
        pytest.param(SUCCEEDS, "20s", 0, "condition met", id="succeeded"),
        pytest.param([("Created",), ("Created", "Failed")], "20s", 1, "failed", id="failed"),
        pytest.param([("Created",)], "500ms", 2, "timed out", id="timed-out"),
    ],
)
def test_submit_wait_exits_by_the_outcome(cmd, capsys, tmp_path, operator_steps, states, timeout, code, last):
    operator_steps("waited", *states)

    assert cmd("submit", write(tmp_path, a_pytorch_job("waited")), "--wait", "--timeout", timeout) == code

    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == "pytorchjob/waited created"
    assert lines[1] == "pytorchjob/waited: Created=True (JobCreated job is created)"
    assert last in (captured.out + captured.err).splitlines()[-1]


def test_verbose_logs_each_request(cmd, capsys, world: World):
    assert cmd("get", "pytorchjobs", "-v") == 0

    err = capsys.readouterr().err.splitlines()
    path = f"/apis/kubeflow.org/v1/namespaces/{world.namespace}/pytorchjobs"
    assert [line.split()[:2] for line in err] == [["GET", f"{world.cluster.url}{path}"]]
    assert err[0].split()[2:4] == ["200", "in"]


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        pytest.param(["get", "pytorchjobs"], 0, id="ok"),
        pytest.param(["get", "pytorchjob", "absent"], 1, id="not-found"),
        pytest.param(["describe", "pytorchjob"], 2, id="missing-argument"),
        pytest.param(["get", "--no-such-flag"], 2, id="unknown-flag"),
        pytest.param(["get", "-o", "xml"], 2, id="bad-choice"),
    ],
)
def test_exit_codes(cmd, capsys, argv, code):
    if code == 2:
        with pytest.raises(SystemExit) as caught:
            cmd(*argv)
        assert caught.value.code == 2
    else:
        assert cmd(*argv) == code


def test_render_prints_json_or_names(tmp_path, capsys):
    path = write(tmp_path, a_pytorch_job("r", workers=1))

    assert cli.main(["render", path, "-o", "name"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "pod/r-master-0",
        "service/r-master-0",
        "pod/r-worker-0",
        "service/r-worker-0",
    ]
    assert cli.main(["render", path, "-o", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["kind"] == "List"
    assert [o["kind"] for o in listed["items"]] == ["Pod", "Service", "Pod", "Service"]
