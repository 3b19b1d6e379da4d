"""The workspace's conftest.py bites: a coroutine test that leaves an asyncio task running fails, a test that
hangs fails on the default time limit instead of stalling the run, a test under tests/e2e is in the e2e suite
(`--suite e2e`) with the suite's limit, and a suite's step with nothing to run under the given paths passes.

Each case runs pytest in a child process on a small tree holding a copy of conftest.py, as the suites do.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(60)

INI = """[pytest]
addopts = -p no:cacheprovider --strict-markers
markers =
    e2e: e2e
    integration: integration
    faults: faults
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
timeout = 2
"""

UNIT = """
import asyncio
import threading

import pytest


async def test_leaves_a_task_running():
    asyncio.get_running_loop().create_task(asyncio.Event().wait(), name="forgotten")


@pytest.fixture
async def server():
    task = asyncio.create_task(asyncio.Event().wait(), name="served")
    yield
    task.cancel()  # cancelled but never awaited: finishes on the loop's next pass


async def test_stops_what_it_starts(server):
    task = asyncio.create_task(asyncio.sleep(0))
    await task


def test_hangs():
    threading.Event().wait()
"""

E2E = """
import pytest


def test_in_the_e2e_folder(request):
    assert request.node.get_closest_marker("timeout").args == (300,)
"""


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "pytest.ini").write_text(INI)
    (tmp_path / "test_unit.py").write_text(UNIT)
    (tmp_path / "tests" / "e2e").mkdir(parents=True)
    (tmp_path / "tests" / "e2e" / "test_e2e.py").write_text(E2E)
    return tmp_path


def pytest_in(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", *args],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )


def outcomes(output: str) -> dict[str, str]:
    """`test name → PASSED/FAILED/ERROR` from the short summary (an error in teardown adds an ERROR line)."""
    found: dict[str, str] = {}
    for line in output.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and "::" in rest:
            name = rest.split("::", 1)[1].split(" ")[0]
            found[name] = "ERROR" if found.get(name) == "ERROR" else word
    return found


def test_a_leaked_task_or_a_hang_fails_and_a_clean_test_passes(tree: Path) -> None:
    done = pytest_in(tree, "test_unit.py")
    assert outcomes(done.stdout) == {
        "test_leaves_a_task_running": "ERROR",
        "test_stops_what_it_starts": "PASSED",
        "test_hangs": "FAILED",
    }, done.stdout
    assert "asyncio tasks left running after the test" in done.stdout
    assert "forgotten" in done.stdout
    assert "Timeout" in done.stdout


def test_the_e2e_folder_is_the_e2e_suite_with_its_own_limit(tree: Path) -> None:
    done = pytest_in(tree, "--suite", "e2e")
    assert outcomes(done.stdout) == {"test_in_the_e2e_folder": "PASSED"}, done.stdout
    listed = pytest_in(tree, "--suite", "unit", "--collect-only").stdout
    assert "test_hangs" in listed
    assert "test_in_the_e2e_folder" not in listed


def test_a_suite_with_nothing_under_the_paths_passes_but_a_selection_of_nothing_fails(tree: Path) -> None:
    assert pytest_in(tree, "--suite", "faults").returncode == 0
    assert pytest_in(tree, "--suite", "e2e", "-k", "no_such_test").returncode != 0
