"""`training-operator completion bash|zsh`, run by the shells themselves against the local cluster.

Covers, for bash and (when installed) zsh: commands, a command's flags, `-o`'s choices, kinds in every
spelling, the job names the cluster has (with `-n` on the line honoured), files for `submit`, subcommands
of `local`, nothing after `--`, and `run --image`'s flags next to the operator's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from localapi import GROUP, World, a_pytorch_job, new_namespace

from training_operator.unified import cli
from training_operator.unified.sdk import kinds

pytestmark = pytest.mark.timeout(60)
SHELLS = [
    pytest.param("bash", id="bash"),
    pytest.param(
        "zsh", id="zsh", marks=pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
    ),
]
#: how each shell calls the completion function the way it would on TAB (zsh: through bashcompinit's sh mode)
CALL = {
    "bash": 'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _training_operator; printf "%s\\n" "${COMPREPLY[@]}"',
    "zsh": 'emulate sh -c \'COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _training_operator; '
    'printf "%s\\n" "${COMPREPLY[@]}"\'',
}


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("completion")
    found = {}
    for shell in ("bash", "zsh"):
        out = subprocess.run(
            [shutil.which("training-operator") or "training-operator", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        found[shell] = folder / f"{shell}.sh"
        found[shell].write_text(out)
    return found


@pytest.fixture
def complete(scripts: dict[str, Path], world: World, tmp_path: Path):
    def run(shell: str, *words: str) -> list[str]:
        program = f"source {scripts[shell]}; {CALL[shell]}"
        if shell == "zsh":
            program = f"autoload -U compinit && compinit -u; {program}"
        env = {**os.environ, "KUBECONFIG": str(world.kubeconfig)}
        done = subprocess.run(
            [shell, "-c", program, "completer", "training-operator", *words],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=30,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        offered = [line for line in done.stdout.splitlines() if line]
        if shell == "zsh":  # zsh's compgen offers everything; its completion system keeps what matches
            offered = [line for line in offered if line.startswith(words[-1])]
        return sorted(offered)

    return run


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_knows_commands_flags_kinds_and_jobs(complete, world: World, tmp_path: Path, shell):
    other = new_namespace(world.kube)
    world.custom.create_namespaced_custom_object(
        GROUP, "v1", world.namespace, "pytorchjobs", a_pytorch_job("mnist")
    )
    world.custom.create_namespaced_custom_object(
        GROUP, "v1", other, "pytorchjobs", a_pytorch_job("elsewhere")
    )
    (tmp_path / "job.yaml").write_text("kind: PyTorchJob\n")

    assert {"submit", "apply", "get", "logs", "wait", "completion", "local"} <= set(complete(shell, ""))
    assert complete(shell, "su") == ["submit", "suspend"]
    assert complete(shell, "get", "--al") == ["--all-namespaces"]
    assert complete(shell, "get", "-o", "") == ["json", "name", "table", "wide", "yaml"]
    assert complete(shell, "describe", "pyt") == ["pytorch", "pytorchjob", "pytorchjobs"]
    assert complete(shell, "logs", "pytorchjob", "") == ["mnist"]
    assert complete(shell, "get", "-n", other, "pytorchjobs", "") == ["elsewhere"]
    assert complete(shell, "submit", "jo") == ["job.yaml"]
    assert complete(shell, "local", "") == ["down", "run", "up"]
    assert complete(shell, "run", "--ima") == ["--image"]
    assert complete(shell, "run", "--image", "x", "--", "") == []


def test_the_completion_command_prints_the_script(capsys):
    assert cli.main(["completion", "bash"]) == 0
    assert "complete -F _training_operator training-operator" in capsys.readouterr().out
    assert cli.main(["completion", "zsh"]) == 0
    assert capsys.readouterr().out.startswith("#compdef training-operator\n")


@pytest.mark.parametrize("shell", SHELLS)
def test_every_kind_word_offered_resolves_and_every_kind_is_offered(complete, shell):
    """The kind words come from the SDK's own registry: each resolves, and each installed kind (with the
    short names its plug-in declares, such as `ptj`) can be completed."""
    offered = complete(shell, "get", "")
    assert {kinds.resolve(word).kind for word in offered} == set(kinds.known_kinds())
    assert complete(shell, "get", "ptj") == ["ptj"]
    assert kinds.resolve("ptj").kind == "PyTorchJob"
