"""`training-operator local run FILE` answers every bad input with one line on stderr that names the file and
the reason, exit code 2, no traceback, and starts nothing: a missing, unreadable or binary file, YAML that
is not a job (a list, several documents, nothing, a Python file), an unknown kind or version, a field the
kind does not declare, a count past the bounds, a rule the webhook enforces, and what the local node cannot
provide (a container without command, a program that is not on this machine).
"""

import pytest
import yaml

from training_operator.unified import cli


def job(**change):
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "j"},
        "spec": {
            "pytorchReplicaSpecs": {
                "Worker": {
                    "replicas": 2,
                    "template": {
                        "spec": {"containers": [{"name": "pytorch", "image": "x", "command": ["true"]}]}
                    },
                }
            }
        },
    }
    worker = body["spec"]["pytorchReplicaSpecs"]["Worker"]
    for key, value in change.items():
        if key == "container":
            worker["template"]["spec"]["containers"][0] = value
        elif key == "top":
            body.update(value)
        else:
            worker[key] = value
    return yaml.safe_dump(body)


NO_COMMAND = {"name": "pytorch", "image": "x"}
CASES = [
    pytest.param(None, "cannot read: No such file or directory", id="missing"),
    pytest.param("dir", "cannot read: Is a directory", id="directory"),
    pytest.param(b"\xff\xfe\x00binary", "not a YAML file (not UTF-8 text)", id="binary"),
    pytest.param("kind: [unclosed\n", "invalid YAML", id="not-yaml"),
    pytest.param(
        "import torch\nprint(torch.__version__)\n", "expected a mapping (an object), got str", id="python"
    ),
    pytest.param("- a\n- b\n", "expected a mapping (an object), got list", id="list"),
    pytest.param(job() + "---\n" + job(), "holds 2 documents; local run runs exactly one job", id="two-docs"),
    pytest.param("", "holds no job", id="empty"),
    pytest.param("kind: NotAJob\nmetadata: {name: x}\n", "unknown kind 'NotAJob'", id="unknown-kind"),
    pytest.param(
        "apiVersion: kubeflow.org/v1\nkind: MPIJob\nmetadata: {name: x}\n",
        "MPIJob apiVersion 'kubeflow.org/v1' is not served; use 'kubeflow.org/v2beta1'",
        id="mpijob-v1",
    ),
    pytest.param(
        job(replicass=3),
        'strict decoding error: unknown field "spec.pytorchReplicaSpecs.Worker.replicass"',
        id="typo",
    ),
    pytest.param(
        job(replicas=2**31),
        "spec.pytorchReplicaSpecs[Worker].replicas: Invalid value: 2147483648: must be less than or equal",
        id="huge",
    ),
    pytest.param(
        job(container={"name": "pytorch", "command": ["true"]}),
        "template.spec.containers[0].image: Required value",
        id="webhook-rule",
    ),
    pytest.param(
        job(container=NO_COMMAND),
        "containers[0].command: LocalCommandRequired: the local node runs containers as processes",
        id="no-command",
    ),
    pytest.param(
        job(container={**NO_COMMAND, "command": ["/usr/sbin/sshd-not-here", "-De"]}),
        "containers[0].command[0]: '/usr/sbin/sshd-not-here' is not on this machine",
        id="no-program",
    ),
]


@pytest.mark.parametrize(("content", "reason"), CASES)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, reason):
    path = tmp_path / "job.yaml"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    state = tmp_path / "state"
    code = cli.main(["local", "run", str(path), "--state-dir", str(state)])  # raises on a traceback

    out, err = capsys.readouterr()
    assert code == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {path}"), lines[0]
    assert reason in lines[0]
    assert not out
    assert not (state / "cluster.pid").exists()  # nothing was started
