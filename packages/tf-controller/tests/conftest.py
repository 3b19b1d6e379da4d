import copy
from typing import Any

import pytest

from training_operator.core.api.job import JobModel
from training_operator.core.framework import EngineOptions, ReplicaRef
from training_operator.tf.plugin import FRAMEWORK


@pytest.fixture
def defaulted():
    def build(body: dict[str, Any]) -> JobModel:
        return FRAMEWORK.default(FRAMEWORK.parse(body))

    return build


@pytest.fixture
def pod_of(defaulted):
    """The pod the engine builds for one slot: the defaulted template plus the framework's additions."""

    def build(
        body: dict[str, Any], replica_type: str, index: int, *, cluster_domain: str = ""
    ) -> dict[str, Any]:
        job = defaulted(body)
        spec = job.replica_specs()[replica_type]
        assert spec is not None
        template = copy.deepcopy(spec.template)
        options = EngineOptions(cluster_domain=cluster_domain)
        return FRAMEWORK.replica_pod(job, ReplicaRef(replica_type, index), template, options=options)

    return build
