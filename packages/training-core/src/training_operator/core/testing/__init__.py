"""Public helpers for every package's tests: builders, a demo kind, a trivial test kind, plan application."""

from training_operator.core.testing.builders import (
    a_job,
    a_pod,
    a_service,
    a_template,
    job_uid,
    pods_of,
    services_of,
)
from training_operator.core.testing.cluster import (
    FIXED_KEY_PAIR,
    Applied,
    FakeCluster,
    apply_plan,
    creates_of,
    record_of,
    with_inputs,
    written_status,
)
from training_operator.core.testing.framework import TEST_KIND, ScalableTestFramework, TestFramework
from training_operator.core.testing.pods import replica_pods

__all__ = [
    "FIXED_KEY_PAIR",
    "TEST_KIND",
    "Applied",
    "FakeCluster",
    "ScalableTestFramework",
    "TestFramework",
    "a_job",
    "a_pod",
    "a_service",
    "a_template",
    "apply_plan",
    "creates_of",
    "job_uid",
    "pods_of",
    "record_of",
    "replica_pods",
    "services_of",
    "with_inputs",
    "written_status",
]
