"""The Dockerfile installs only through image/install.sh, the script the install matrix runs for real
(tests/install/matrix.py: CONTROLLERS=all and a subset, each started against the local cluster); its runtime
stage runs `training-operator` as a numeric non-root user. The script itself refuses an unknown controller
before installing anything."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "image" / "install.sh"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    lines = [ln for ln in (ROOT / "Dockerfile").read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def test_the_builder_installs_only_through_the_script():
    builder, runtime = stages()
    runs = [args for word, args in builder if word == "RUN"]
    assert runs == ['sh image/install.sh /opt/training-operator "${CONTROLLERS}"']
    assert ("COPY", "image/install.sh image/install.sh") in builder
    assert not [args for word, args in runtime if word == "RUN"]  # the runtime stage never installs


def test_the_runtime_stage_runs_the_operator_as_a_numeric_non_root_user():
    _, runtime = stages()
    user = [args for word, args in runtime if word == "USER"][-1]
    assert user.split(":")[0].isdigit()
    assert user.split(":")[0] != "0"
    assert ("ENTRYPOINT", '["training-operator"]') in runtime
    assert ("COPY", "--from=builder /opt/training-operator /opt/training-operator") in runtime


def test_the_script_refuses_an_unknown_controller_before_installing(tmp_path):
    done = subprocess.run(
        ["sh", str(SCRIPT), str(tmp_path / "venv"), "pytorch,spark"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown controller 'spark'" in done.stderr
    assert not (tmp_path / "venv").exists()
