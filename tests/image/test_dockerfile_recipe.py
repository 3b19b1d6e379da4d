"""The image recipe, checked without docker: the Dockerfile is two-stage, runs as a numeric non-root user
and starts `training-operator`; its install step, repeated in a fresh venv with the default CONTROLLERS,
gives an operator that lists exactly those frameworks."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
EXTRA_SCHEME = {
    "tf": "tfjob",
    "pytorch": "pytorchjob",
    "mxnet": "mxjob",
    "xgboost": "xgboostjob",
    "mpi": "mpijob",
}


def test_the_image_is_two_stage_non_root_with_one_entrypoint():
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) == 2
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    uid = user[-1].split(":")[0]
    assert uid.isdigit()
    assert uid != "0"
    assert 'ENTRYPOINT ["training-operator"]' in DOCKERFILE
    assert "PYTHONUNBUFFERED=1" in DOCKERFILE


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("uv") is None, reason="needs uv to build a fresh venv quickly")
def test_the_install_step_gives_an_operator_with_the_chosen_controllers(tmp_path):
    controllers = re.search(r"^ARG CONTROLLERS=(\S+)", DOCKERFILE, re.M).group(1)
    install = re.search(r'pip install "\./packages/unified-operator\[\$\{CONTROLLERS\}\]"', DOCKERFILE)
    assert install, "the Dockerfile's install step changed: update this test to repeat it"
    venv = tmp_path / "venv"
    subprocess.run(["uv", "venv", "-q", "-p", sys.executable, str(venv)], check=True, timeout=120)
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--python",
            str(venv / "bin" / "python"),
            f"{ROOT / 'packages' / 'unified-operator'}[{controllers}]",
        ],
        check=True,
        timeout=600,
    )
    done = subprocess.run(
        [str(venv / "bin" / "training-operator"), "version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # one indented line per installed controller; then the server's part (here: no cluster to ask)
    listed = {line.split()[0] for line in done.stdout.splitlines()[1:] if line.startswith("  ")}
    assert listed == {EXTRA_SCHEME[extra] for extra in controllers.split(",")}
    assert not list((venv / "lib").glob("*/site-packages/training_operator/local"))  # not in the image
