"""Run one framework's pod hook the way the engine does, for framework packages' env tests."""

from __future__ import annotations

import copy
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, ReplicaRef


def defaulted(framework: ReplicatedFramework, body: dict[str, Any]) -> JobModel:
    """The job as the engine sees it: parsed, then defaulted in memory."""
    return framework.default(framework.parse(body))


def pod_of(
    framework: ReplicatedFramework,
    body: dict[str, Any],
    replica_type: str,
    index: int,
    *,
    options: EngineOptions | None = None,
) -> dict[str, Any]:
    """The pod the engine builds for one slot: the defaulted template plus the framework's additions."""
    job = defaulted(framework, body)
    spec = job.replica_specs()[replica_type]
    assert spec is not None, f"{replica_type} has no spec"
    template = copy.deepcopy(spec.template)
    return framework.replica_pod(
        job, ReplicaRef(replica_type, index), template, options=options or EngineOptions()
    )
