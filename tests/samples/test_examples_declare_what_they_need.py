"""Every example runs on a fresh machine as its folder says: a requirements.txt names every third-party module
its scripts import (numpy included, which torch does not pull in), the README's first command installs the
requirements of the example it runs, and every example job carries a backoffLimit, so a broken environment
fails the job in seconds instead of restarting it forever."""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FOLDERS = sorted({path.parent for path in EXAMPLES.glob("**/job*.yaml")})
#: import name → the distributions that provide it
PROVIDERS = {
    "torch": {"torch"},
    "numpy": {"numpy"},
    "xgboost": {"xgboost", "xgboost-cpu"},
    "tensorflow": {"tensorflow", "tensorflow-cpu"},
    "paddle": {"paddlepaddle"},
    "jax": {"jax"},
}


def imported(folder: Path) -> set[str]:
    found = set()
    for script in folder.glob("*.py"):
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names}


def required(folder: Path) -> set[str]:
    lines = (folder / "requirements.txt").read_text().splitlines()
    return {
        re.split(r"[=<>!~\[; ]", line.strip(), maxsplit=1)[0].lower()
        for line in lines
        if line.strip() and not line.startswith("#")
    }


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: str(f.relative_to(EXAMPLES)))
def test_every_imported_module_is_a_requirement(folder):
    if not list(folder.glob("*.py")):
        pytest.skip("no Python scripts (the README names the system packages)")
    names = required(folder)
    for module in imported(folder):
        assert module in PROVIDERS, (
            f"{folder}: {module} is imported; add it to PROVIDERS and requirements.txt"
        )
        assert PROVIDERS[module] & names, f"{folder}/requirements.txt does not provide {module}"


@pytest.mark.parametrize(
    "path", sorted(EXAMPLES.glob("**/job*.yaml")), ids=lambda p: str(p.relative_to(EXAMPLES))
)
def test_every_example_job_has_a_backoff_limit(path):
    body = yaml.safe_load(path.read_text())
    assert isinstance(body["spec"]["runPolicy"]["backoffLimit"], int)


def test_the_readmes_first_command_installs_what_its_example_needs():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```(?:bash|sh|shell|console)?\n(.*?)```", readme, re.S)
    assert block is not None
    first = block.group(1).strip().splitlines()[0]
    [job] = re.findall(r"examples/\S+/job\.yaml", first)
    folder = (ROOT / job).parent
    assert f"-r {folder.relative_to(ROOT)}/requirements.txt" in first
