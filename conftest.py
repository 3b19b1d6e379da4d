"""What every test in the workspace gets, wherever it lives (packages/*/tests and tests/):

- a suite: unit, or `integration`, `faults` or `e2e` by marker, the folders tests/integration, tests/bench,
  tests/faults and tests/e2e marking theirs; `--suite NAME` runs one, so that CI runs them as separate
  steps, fast first (`hatch run test-unit`, `test-integration`, `test-faults`, `test-e2e`; `hatch run test`
  runs all four in that order);
- a time limit: pytest-timeout's default (`timeout` in pyproject) for a unit test, the suite's own for the
  others, unless the test or its module sets one (`pytest.mark.timeout`);
- a check that a test run on pytest-asyncio's loop leaves no asyncio task behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parent

# The suite of each folder's tests, for tests whose module does not mark it.
SUITE_FOLDERS = {
    ROOT / "tests" / "integration": "integration",
    ROOT / "tests" / "bench": "integration",  # the benchmark scripts' smoke runs start a cluster and operator
    ROOT / "tests" / "faults": "faults",
    ROOT / "tests" / "e2e": "e2e",
}

# Seconds a test of each slower suite may take, set-up of the cluster and operator it shares included.
# Measured (2 shared cores): integration ≤ 50 s, e2e ≤ 70 s per test; the fault cases set their own.
SUITE_TIMEOUTS = {"integration": 120, "faults": 120, "e2e": 300}
SUITES = ("unit", "integration", "faults", "e2e")

# Set when `--suite` found no test of its suite among those collected (and others were).
NOTHING_IN_SUITE = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--suite", choices=SUITES, help="run only this suite's tests (hatch run test-<suite>)")


def suite_of(item: pytest.Item) -> str:
    """The slowest suite the test is marked with: a fault case that is also an integration test is a fault."""
    return next((s for s in reversed(SUITES[1:]) if item.get_closest_marker(s)), "unit")


@pytest.hookimpl(tryfirst=True)  # before `-m` and `-k`, which may select by the markers this adds
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(item.path)
        for folder, suite in SUITE_FOLDERS.items():
            if path.is_relative_to(folder) and item.get_closest_marker(suite) is None:
                item.add_marker(suite)
        suite = suite_of(item)
        if suite != "unit" and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SUITE_TIMEOUTS[suite]))
    wanted = config.getoption("suite")
    if wanted is None:
        return
    others = [item for item in items if suite_of(item) != wanted]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if suite_of(item) == wanted]
        config.stash[NOTHING_IN_SUITE] = not items


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # `hatch run test packages/tf-controller` runs every suite's step on that folder; a step whose suite has
    # no test there has nothing to do, which is not a failure (a `-k` matching nothing still is one).
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and session.config.stash.get(NOTHING_IN_SUITE, False):
        session.exitstatus = pytest.ExitCode.OK


@pytest_asyncio.fixture
async def _asyncio_tasks_left_behind() -> AsyncIterator[None]:
    """Fails the test if tasks it (or its fixtures) started are still pending once everything is torn down.

    Set up before the test's other fixtures, so torn down after them: by then the test's loop should be idle.
    A task still pending here would be cancelled silently when pytest-asyncio closes the loop, hiding a task
    that a caller in production never stops or awaits.
    """
    before = asyncio.all_tasks()
    yield
    # Tasks already cancelled or finishing need a pass of the loop to notice; that is not waiting on time.
    for _ in range(3):
        await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()]
    if not left:
        return
    message = "asyncio tasks left running after the test:\n" + "\n".join(f"  {t!r}" for t in left)
    for task in left:
        task.cancel()
    await asyncio.gather(*left, return_exceptions=True)
    pytest.fail(message)


@pytest.fixture(autouse=True)
def _no_asyncio_task_left_behind(request: pytest.FixtureRequest) -> None:
    """Runs the check above for every coroutine test (a plain test has no pytest-asyncio loop to check)."""
    if pytest_asyncio.is_async_test(request.node):
        request.getfixturevalue("_asyncio_tasks_left_behind")
