"""Bounds on the numbers that size work (core.api.limits): whatever a job says, the engine never builds
more than `MAX_REPLICAS` slots.

Covers: a replica count past the bound is a field error at parse time (the webhook, the SDK and `render` all
parse first); the total over replica types is a validation problem; a job that slipped past both (built
without validation) gets a Warning event and no children from `plan()`; an index label past the bound, or a
huge number in it, makes a stray rather than sizing the slot list.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core.api.limits import MAX_REPLICAS
from training_operator.core.engine import planner, replicas
from training_operator.core.engine.observed import Snapshot
from training_operator.core.errors import InvalidJob
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import TestFramework, a_job, a_pod

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def test_a_count_past_the_bound_is_a_field_error_when_parsed():
    with pytest.raises(InvalidJob) as refused:
        TestFramework().parse(a_job(replicas={"Worker": 2**31}))

    assert str(refused.value) == (
        f"spec.testReplicaSpecs[Worker].replicas: Invalid value: {2**31}: "
        f"must be less than or equal to {MAX_REPLICAS}"
    )


def test_the_total_over_replica_types_is_bounded_too():
    framework = TestFramework()
    job = framework.parse(a_job(replicas={"Worker": MAX_REPLICAS, "PS": 1}))

    found = [p.render() for p in framework.problems(job)]

    assert found == [
        f"spec.testReplicaSpecs: Invalid value: {MAX_REPLICAS + 1}: the replicas of all replica types add up "
        f"to {MAX_REPLICAS + 1}, more than {MAX_REPLICAS} per job"
    ]


def test_a_job_past_the_bound_that_skipped_validation_plans_nothing():
    framework = TestFramework()
    job = framework.parse(a_job(replicas={"Worker": 2}))
    worker = job.replica_specs()["Worker"]
    assert worker is not None
    huge = job.with_spec(
        job.spec.with_replica_specs({"Worker": worker.model_copy(update={"replicas": 2**31})})
    )

    plan = planner.plan(huge, framework, Snapshot(), now=NOW, options=EngineOptions())

    assert plan.writes == 0
    [event] = plan.events
    assert (event.type, event.reason) == ("Warning", "TestJobFailedValidation")
    assert "spec.testReplicaSpecs[Worker].replicas: Invalid value: 2147483648" in event.message


@pytest.mark.parametrize("label", [str(MAX_REPLICAS), str(2**31), "9" * 4000])
def test_an_index_label_never_sizes_the_slot_list(label):
    pod = a_pod("job-a", "Worker", 0)
    stray = replace(pod, name="stray", labels={**pod.labels, "training.kubeflow.org/replica-index": label})

    sliced = replicas.slice_by_index([pod, stray], 1)

    assert sliced.slots == ((pod,),)
    assert sliced.strays == (stray,)
