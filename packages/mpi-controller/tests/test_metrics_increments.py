"""The metric changes a plan asks for (mpi.md §17). AC-30 itself (serving /metrics on --monitoring-port) is
the unified operator's; here we check the increments the operator will apply: created once, successful and
failed when the launcher Job finishes, evictions not counted, and the job_info gauge while a launcher exists.
"""

import pytest

from training_operator.mpi.testing import a_job, existing, launcher_record, merged, sync, with_status


def names(plan):
    return sorted(m.name for m in plan.metrics)


@pytest.mark.parametrize(
    ("condition", "counted"),
    [
        pytest.param(
            {"type": "Complete", "status": "True"}, "mpi_operator_jobs_successful_total", id="success"
        ),
        pytest.param(
            {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"},
            "mpi_operator_jobs_failed_total",
            id="failure",
        ),
    ],
)
def test_ac30_counters(condition, counted):
    job = a_job()
    first = sync(job)
    assert "mpi_operator_jobs_created_total" in names(first)
    generic = [m for m in first.metrics if m.name == "training_operator_jobs_created_total"]
    assert [dict(m.labels) for m in generic] == [{"job_namespace": "default", "framework": "mpi"}]
    [gauge] = first.gauges
    assert (gauge.name, dict(gauge.labels), gauge.value) == (
        "mpi_operator_job_info",
        {"launcher": "pi-launcher", "namespace": "default"},
        1.0,
    )
    finished = sync(
        with_status(job, first), merged(existing(first), objects=[launcher_record(conditions=[condition])])
    )
    assert [n for n in names(finished) if n.startswith("mpi_")] == [counted]
    assert "mpi_operator_jobs_created_total" not in names(finished)
