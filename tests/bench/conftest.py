"""Registers the `bench` marker (pytest runs with --strict-markers): `pytest -m bench tests/bench`."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "bench: runs a benchmark script once, briefly, to prove it still works"
    )
