"""Every pod a replicated plug-in builds for a job, for tests that check env or ports across all replicas."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, ReplicaRef


def replica_pods(
    framework: ReplicatedFramework, job: JobModel, *, options: EngineOptions | None = None
) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(replica type, index, pod body) for each replica of a defaulted job, in replica-map order."""
    options = EngineOptions() if options is None else options
    for replica_type, spec in job.replica_specs().items():
        if spec is None:
            continue
        for index in range(spec.replicas or 0):
            ref = ReplicaRef(replica_type, index)
            template = copy.deepcopy(spec.template)
            yield replica_type, index, framework.replica_pod(job, ref, template, options=options)
