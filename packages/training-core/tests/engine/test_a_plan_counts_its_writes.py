"""A plan's write count (what benchmarks and logs report, and what `idle` means): every create, update,
delete and claim is one write, a status write and a job deletion one each; events and metrics none."""

import pytest

from training_operator.core.engine.plan import (
    Adopt,
    Create,
    Delete,
    Event,
    GaugeSet,
    MetricIncrement,
    Plan,
    Release,
    Update,
)


def plan(creates=0, updates=0, deletes=0, claims=0, **fields):
    return Plan(
        creates=tuple(Create({"kind": "Pod", "metadata": {"name": f"p{i}"}}) for i in range(creates)),
        updates=tuple(Update("v1", "ConfigMap", f"c{i}", {}) for i in range(updates)),
        deletes=tuple(Delete("v1", "Pod", f"d{i}") for i in range(deletes)),
        claims=tuple(
            Adopt("v1", "Pod", f"a{i}", "u", {}) if i % 2 else Release("v1", "Pod", f"r{i}", "u", "o")
            for i in range(claims)
        ),
        **fields,
    )


@pytest.mark.parametrize(
    ("built", "writes"),
    [
        pytest.param(plan(3, 5, 7, 11), 26, id="children"),
        pytest.param(plan(3, 5, 7, 11, status={}), 27, id="children-and-status"),
        pytest.param(plan(3, 5, 7, 11, status={}, delete_job=True), 28, id="everything"),
        pytest.param(plan(delete_job=True), 1, id="job-deletion-only"),
        pytest.param(plan(status={"a": 1}), 1, id="status-only"),
        pytest.param(plan(0, 0, 0, 2), 2, id="claims-only"),
        pytest.param(plan(0, 2, 3), 5, id="updates-and-deletes"),
        pytest.param(
            Plan(events=(Event("Normal", "R", "m"),), metrics=(MetricIncrement("m"),), requeue_after=1.0),
            0,
            id="events-and-metrics-are-free",
        ),
    ],
)
def test_writes(built, writes):
    assert built.writes == writes
    assert built.idle is (writes == 0)


def test_a_gauge_is_set_to_one_unless_told():
    assert GaugeSet("mpi_operator_job_info").value == 1.0


def test_a_create_names_its_kind_and_object():
    create = Create({"kind": "Service", "metadata": {"name": "job-a-worker-0"}})
    assert (create.kind, create.name) == ("Service", "job-a-worker-0")
