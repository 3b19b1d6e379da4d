"""The job handlers: a new job reconciles at once, noise is coalesced, a deleted job is forgotten, and the
created counter counts a job once per process and never a job that already has conditions (issue 7: an
operator restart does not count existing jobs again). kopf is configured to store nothing in jobs.
"""

import pytest

from training_operator.core.kube.index import JobKey
from training_operator.core.kube.queue import WorkQueue
from training_operator.core.kube.reconcile import JobStore
from training_operator.core.metrics import Metrics
from training_operator.core.testing.demo_kind import DemoFramework, a_body
from training_operator.unified import composition, handlers, settings, storage

KIND = DemoFramework.kind
KEY = JobKey("DemoJob", "default", "job-a")
CREATED = "training_operator_jobs_created_total"
LABELS = {"job_namespace": "default", "framework": "demo"}


async def nothing(key):
    return None


@pytest.fixture
def world():
    return JobStore(), WorkQueue(nothing), Metrics()


def deliver(world, body, type_="ADDED"):
    store, queue, metrics = world
    event = {"type": type_, "object": body}
    handlers.on_job_event(event, kind=KIND, store=store, queue=queue, metrics=metrics, coalesce=0.05)


def job(uid="u1", generation=1, rv="1", conditions=None):
    body = a_body()
    body["metadata"].update(uid=uid, generation=generation, resourceVersion=rv)
    if conditions is not None:
        body["status"] = {"conditions": conditions}
    return body


async def test_a_new_job_is_counted_once_and_reconciled_at_once(world):
    store, queue, metrics = world
    deliver(world, job())
    deliver(world, job(rv="2"), "MODIFIED")
    assert metrics.value(CREATED, LABELS) == 1
    assert store.get(KEY)["metadata"]["resourceVersion"] == "2"
    assert queue.pending(KEY) is not None


async def test_a_job_with_conditions_seen_at_start_is_not_created_again(world):
    _, _, metrics = world
    deliver(world, job(conditions=[{"type": "Created", "status": "True"}]))
    assert metrics.value(CREATED, LABELS) == 0


async def test_a_recreated_job_counts_again(world):
    _, _, metrics = world
    deliver(world, job(uid="u1"))
    deliver(world, job(uid="u1"), "DELETED")
    deliver(world, job(uid="u2"))
    assert metrics.value(CREATED, LABELS) == 2


async def test_status_only_updates_are_coalesced_and_spec_changes_are_not(world):
    _, queue, _ = world
    deliver(world, job())
    first = queue.pending(KEY)
    queue.forget(KEY)
    deliver(world, job(rv="2"), "MODIFIED")
    coalesced = queue.pending(KEY)
    queue.forget(KEY)
    deliver(world, job(rv="3", generation=2), "MODIFIED")
    urgent = queue.pending(KEY)
    assert coalesced - first == pytest.approx(0.05, abs=0.01)
    assert urgent < coalesced


async def test_a_deleted_job_is_dropped_and_forgotten(world):
    store, queue, _ = world
    deliver(world, job())
    deliver(world, job(), "DELETED")
    assert store.get(KEY) is None
    assert queue.pending(KEY) is None


def test_kopf_stores_no_progress_and_no_diff_base_in_jobs():
    config = composition.kopf_settings(settings.parse(["--disable-webhooks"], environ={}))
    assert isinstance(config.persistence.progress_storage, storage.NoProgressStorage)
    assert isinstance(config.persistence.diffbase_storage, storage.NoDiffBaseStorage)
    assert config.persistence.progress_storage.fetch(key="h", body={}) is None  # type: ignore[func-returns-value]
    patch: dict[str, object] = {}
    config.persistence.progress_storage.store(key="h", record={}, body={}, patch=patch)
    config.persistence.diffbase_storage.store(body={}, patch=patch, essence={})
    assert patch == {}
    assert not config.posting.enabled
    assert config.admission.managed is None


def test_only_event_handlers_watch_the_jobs():
    parts = composition.compose(
        settings.parse(["--disable-webhooks"], environ={}), {"demojob": DemoFramework()}
    )
    assert [h.id for h in parts.registry._watching.get_all_handlers()] == ["demojob-events"]
    assert list(parts.registry._changing.get_all_handlers()) == []


async def test_a_deleted_jobs_late_events_leave_its_successor_of_the_same_name_alone(world):
    # kopf runs each job UID on a worker of its own: the old job's DELETED (or a last MODIFIED) can come
    # after the new job's ADDED; before, it removed the new job from the store and its pending reconcile,
    # and the new job was never reconciled
    store, queue, _ = world
    deliver(world, job(uid="old", rv="5"))
    deliver(world, job(uid="new", rv="9"))
    deliver(world, job(uid="old", rv="6"), "MODIFIED")
    deliver(world, job(uid="old", rv="7"), "DELETED")
    assert store.get(KEY)["metadata"]["uid"] == "new"
    assert queue.pending(KEY) is not None
    deliver(world, job(uid="new", rv="10"), "DELETED")
    assert store.get(KEY) is None
    assert queue.pending(KEY) is None
