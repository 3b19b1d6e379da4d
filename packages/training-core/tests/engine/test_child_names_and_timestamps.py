"""Children's names and labels (common.md §1.10, §6.4) and the timestamps written into a job's status, which
Kubernetes serialises as RFC 3339 UTC with second precision whatever the caller's clock zone."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from training_operator.core.engine import naming

PARIS = timezone(timedelta(hours=2))


@pytest.fixture
def local_zone_is_not_utc() -> Iterator[None]:
    """Naive datetimes must be read as UTC, not as the machine's local time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def test_names_and_selectors_follow_the_spec() -> None:
    assert naming.child_name("1/2/3/4/5", "WORKER", 1) == "1-2-3-4-5-worker-1"
    assert naming.replica_labels("a/b", "tfjob-controller", "PS", 0) == {
        "training.kubeflow.org/operator-name": "tfjob-controller",
        "training.kubeflow.org/job-name": "a-b",
        "training.kubeflow.org/replica-type": "ps",
        "training.kubeflow.org/replica-index": "0",
    }
    assert naming.selector("j", "tfjob-controller", "Worker") == (
        "training.kubeflow.org/job-name=j,training.kubeflow.org/operator-name=tfjob-controller,"
        "training.kubeflow.org/replica-type=worker"
    )


def test_an_aware_time_is_written_in_utc() -> None:
    assert naming.timestamp(datetime(2024, 5, 1, 12, 0, 30, 999_000, tzinfo=PARIS)) == "2024-05-01T10:00:30Z"


def test_a_naive_time_is_taken_as_utc(local_zone_is_not_utc: None) -> None:
    assert naming.timestamp(datetime(2024, 5, 1, 12, 0, 30)) == "2024-05-01T12:00:30Z"


def test_timestamps_parse_back_to_the_same_instant() -> None:
    assert naming.parse_timestamp("2024-05-01T10:00:30Z") == datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)
    assert naming.parse_timestamp("2024-05-01T12:00:30+02:00") == datetime(2024, 5, 1, 10, 0, 30, tzinfo=UTC)


def test_seconds_between_mixes_naive_utc_and_aware_times(local_zone_is_not_utc: None) -> None:
    naive = datetime(2024, 5, 1, 10, 0, 0)
    aware = datetime(2024, 5, 1, 12, 0, 5, tzinfo=PARIS)
    assert naming.seconds_between(naive, aware) == 5.0
    assert naming.seconds_between(aware, naive) == -5.0
    assert naming.seconds_between(aware, datetime(2024, 5, 1, 10, 0, 7, tzinfo=UTC)) == 2.0
