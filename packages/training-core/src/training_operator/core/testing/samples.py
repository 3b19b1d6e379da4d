"""Kubeflow SDK sample jobs (shared/samples, kubeflow-training 1.9.4 wire format) for framework tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from training_operator.core.framework import Framework


def load(path: Path) -> dict[str, dict[str, Any]]:
    """Sample job bodies by name, sorted; `create_job` request records are unwrapped to their body."""
    entries: dict[str, Any] = json.loads(path.read_text())
    return {key: entry.get("body", entry) for key, entry in sorted(entries.items())}


def assert_accepted_unchanged(framework: Framework, body: dict[str, Any]) -> None:
    """What Kubeflow's SDK wrote parses, serializes back byte-for-byte and passes admission."""
    assert framework.parse(copy.deepcopy(body)).body() == body
    assert [problem.render() for problem in framework.problems(framework.parse(body))] == []
