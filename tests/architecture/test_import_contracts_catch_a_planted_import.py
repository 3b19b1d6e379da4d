"""The import contracts in `.importlinter` bite: an import they forbid, planted in a copy of the source, fails
`lint-imports` and names the contract it breaks; the untouched copy passes.

A contract that nothing can break is worse than none (it reads as a guarantee), so each contract that guards
the architecture gets one planted import here. `lint-imports` runs in a child process whose import path holds
the copy instead of the workspace's editable installs, so the copy is what it analyses.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ".importlinter"

# Analysing the copy takes a second; copying it and starting the child a little more.
pytestmark = pytest.mark.timeout(60)

# Runs import-linter with the copy's source folders instead of the editable installs the .pth files add.
LINT = """
import sys
workspace, *copies = sys.argv[1:]
sys.path[:] = copies + [p for p in sys.path if p and not p.startswith(workspace)]
from importlinter.cli import lint_imports_command
sys.argv = ["lint-imports", "--no-cache"]
lint_imports_command()
"""

# (file under the copy's packages/, the line planted at its end, the contract that must break)
PLANTS = {
    "randomness in the engine": (
        "training-core/src/training_operator/core/engine/gojson.py",
        "import random",
        "pure-engine",
    ),
    "an HTTP client in the API models": (
        "training-core/src/training_operator/core/api/limits.py",
        "import aiohttp",
        "pure-engine",
    ),
    "a Kubernetes client in a plug-in's status rule": (
        "tf-controller/src/training_operator/tf/status.py",
        "import kubernetes",
        "pure-plugins",
    ),
    "a clock in MPI's key module, beside its one allowed impurity": (
        "mpi-controller/src/training_operator/mpi/ssh.py",
        "import time",
        "pure-plugins",
    ),
    "the engine in the API models": (
        "training-core/src/training_operator/core/api/job.py",
        "from training_operator.core.engine import naming",
        "core-layers",
    ),
    "the kube adapter in the engine": (
        "training-core/src/training_operator/core/engine/naming.py",
        "from training_operator.core.kube import codec",
        "core-layers",
    ),
    "the local cluster in core": (
        "training-core/src/training_operator/core/discovery.py",
        "import training_operator.local",
        "nothing-imports-local",
    ),
    "the local cluster in the operator runtime": (
        "unified-operator/src/training_operator/unified/runtime.py",
        "from training_operator.local import cluster",
        "nothing-imports-local",
    ),
}


def copy_tree(destination: Path) -> Path:
    """The packages' Python sources and the contracts, copied to `destination`."""
    for src in sorted((ROOT / "packages").glob("*/src")):
        shutil.copytree(
            src,
            destination / "packages" / src.parent.name / "src",
            ignore=lambda folder, names: [
                n for n in names if n == "__pycache__" or ((Path(folder) / n).is_file() and n[-3:] != ".py")
            ],
        )
    shutil.copy(ROOT / CONFIG, destination / CONFIG)
    return destination


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    copies = [str(src) for src in sorted((tree / "packages").glob("*/src"))]
    return subprocess.run(
        [sys.executable, "-c", LINT, str(ROOT / "packages"), *copies],
        cwd=tree,
        env={**os.environ, "COLUMNS": "1000"},  # one contract per line: no wrapping
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def broken(output: str) -> set[str]:
    """Names of the contracts the summary reports BROKEN."""
    return {line.rpartition(" BROKEN")[0] for line in output.splitlines() if " BROKEN" in line}


def contract_name(tree: Path, key: str) -> str:
    config = configparser.ConfigParser()
    config.read(tree / CONFIG)
    return config[f"importlinter:contract:{key}"]["name"]


def test_the_untouched_copy_keeps_every_contract(tmp_path: Path) -> None:
    tree = copy_tree(tmp_path)
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 broken" in done.stdout
    assert broken(done.stdout) == set()


@pytest.mark.parametrize("case", sorted(PLANTS))
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, case: str) -> None:
    tree = copy_tree(tmp_path)
    relative, line, key = PLANTS[case]
    target = tree / "packages" / relative
    target.write_text(target.read_text() + f"\n{line}  # planted\n")
    done = lint_imports(tree)
    assert done.returncode != 0, f"lint-imports kept every contract with `{line}` in {relative}"
    assert contract_name(tree, key) in broken(done.stdout), done.stdout
