"""The writer, against a recording client:

* a plan's writes go out in order (deletes, creates, updates, status, job deletion) and nothing else;
* deletes carry the uid precondition; a 404 on delete is done;
* a 409 AlreadyExists on create is done when the object is ours, an error when it is not;
* the status is a merge patch on /status with the resourceVersion guard, only when the plan has one;
* a failing write stops the plan: no status write, the error goes back to the queue;
* outcome events and counters; repeated events bump one Event's count.
"""

import pytest

from training_operator.core.engine.plan import Create, Delete, Event, MetricIncrement, Plan, Update
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import WriteFailed, Writer, merge_patch
from training_operator.core.metrics import Metrics
from training_operator.core.testing.demo_kind import DemoFramework

KIND = DemoFramework.kind
KEY = JobKey("DemoJob", "default", "job-a")
JOB = {
    "apiVersion": "kubeflow.org/v1",
    "kind": "DemoJob",
    "metadata": {"name": "job-a", "namespace": "default", "uid": "job-uid", "resourceVersion": "7"},
    "status": {"conditions": [{"type": "Created", "status": "True"}], "startTime": "t0"},
}
OWNER = {
    "apiVersion": "kubeflow.org/v1",
    "kind": "DemoJob",
    "name": "job-a",
    "uid": "job-uid",
    "controller": True,
}


def pod_body(name, owner=OWNER):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "ownerReferences": [owner]},
    }


@pytest.fixture
def metrics():
    return Metrics()


@pytest.fixture
def writer(client, metrics):
    return Writer(client, Index([KIND]), recorder=EventRecorder(client), metrics=metrics)


def api_writes(client):
    return [(m, p) for m, p, _ in client.writes if "/events" not in p]


async def test_a_plan_is_written_in_order_and_nothing_more(client, writer):
    plan = Plan(
        deletes=(Delete("v1", "Pod", "job-a-worker-3", uid="u3"),),
        creates=(Create(pod_body("job-a-worker-0")),),
        updates=(Update("v1", "ConfigMap", "job-a-config", {"data": {"a": "b"}}),),
        status={"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]},
    )
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert api_writes(client) == [
        ("DELETE", "/api/v1/namespaces/default/pods/job-a-worker-3"),
        ("POST", "/api/v1/namespaces/default/pods"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/job-a-config"),
        ("PATCH", "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status"),
    ]
    delete_body = client.writes[0][2]
    assert delete_body["preconditions"] == {"uid": "u3"}
    status_patch = next(b for m, p, b in client.writes if p.endswith("/status"))
    assert status_patch == {
        "metadata": {"resourceVersion": "7"},
        "status": {
            "conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}],
            "startTime": None,
        },
    }


async def test_an_idle_plan_writes_nothing(client, writer):
    await writer.execute(Plan(), key=KEY, job=JOB, kind=KIND)
    assert client.writes == []


async def test_a_created_child_is_in_the_index_before_the_watch_sees_it(client, writer):
    await writer.execute(Plan(creates=(Create(pod_body("job-a-worker-0")),)), key=KEY, job=JOB, kind=KIND)
    assert [p.name for p in writer.index.snapshot(KEY).pods] == ["job-a-worker-0"]


async def test_already_exists_for_our_own_child_counts_as_done(client, writer):
    path = "/api/v1/namespaces/default/pods"
    client.answer("POST", path, ApiError(409, "AlreadyExists", "exists"))
    client.answer(
        "GET", f"{path}/job-a-worker-0", {**pod_body("job-a-worker-0"), "status": {"phase": "Running"}}
    )
    plan = Plan(creates=(Create(pod_body("job-a-worker-0")),), status={"startTime": "t1"})
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert writer.index.snapshot(KEY).pods[0].phase == "Running"
    assert api_writes(client)[-1][1].endswith("/status")


async def test_already_exists_for_someone_elses_object_fails_without_status_write(client, writer):
    path = "/api/v1/namespaces/default/pods"
    client.answer("POST", path, ApiError(409, "AlreadyExists", "exists"))
    stranger = pod_body("job-a-worker-0", owner={**OWNER, "uid": "another-job"})
    client.answer("GET", f"{path}/job-a-worker-0", stranger)
    plan = Plan(creates=(Create(pod_body("job-a-worker-0")),), status={"startTime": "t1"})
    with pytest.raises(WriteFailed):
        await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert not any(p.endswith("/status") for _, p in api_writes(client))
    events = [b for m, p, b in client.writes if p.endswith("/events")]
    assert [(e["reason"], e["message"]) for e in events] == [("FailedCreatePod", "Error creating: exists")]


async def test_deleting_what_is_already_gone_is_done(client, writer):
    client.answer(
        "DELETE", "/api/v1/namespaces/default/pods/job-a-worker-1", ApiError(404, "NotFound", "gone")
    )
    await writer.execute(
        Plan(deletes=(Delete("v1", "Pod", "job-a-worker-1", "u1"),)), key=KEY, job=JOB, kind=KIND
    )


async def test_a_status_write_that_finds_the_job_deleted_is_not_a_failure(client, writer, caplog):
    # a user deleting a job between the plan and its status write is normal: no error, no retry, no events
    client.answer(
        "PATCH",
        "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status",
        ApiError(404, "NotFound", ""),
    )
    plan = Plan(status={"startTime": "t1"}, events=(Event("Normal", "DemoJobRunning", "running"),))

    written = await writer.execute(plan, key=KEY, job=JOB, kind=KIND)

    assert written is JOB
    assert not [p for _, p, _ in client.writes if p.endswith("/events")]
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


async def test_outcome_events_counters_and_plan_metrics(client, writer, metrics):
    plan = Plan(
        creates=(Create(pod_body("job-a-worker-0")),),
        metrics=(
            MetricIncrement(
                "training_operator_jobs_successful_total", {"job_namespace": "default", "framework": "demo"}
            ),
        ),
    )
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    events = [b for m, p, b in client.writes if p.endswith("/events")]
    assert [(e["type"], e["reason"], e["message"]) for e in events] == [
        ("Normal", "SuccessfulCreatePod", "Created pod: job-a-worker-0")
    ]
    assert events[0]["involvedObject"]["uid"] == "job-uid"
    assert events[0]["source"] == {"component": "demojob-controller"}
    assert metrics.value("created_pods_total") == 1
    labels = {"job_namespace": "default", "framework": "demo"}
    assert metrics.value("training_operator_jobs_successful_total", labels) == 1


async def test_a_repeated_event_bumps_one_events_count(client, writer):
    plan = Plan(events=(Event("Normal", "ExitedWithCode", "Pod: default.job-a-worker-0 exited with code 0"),))
    for _ in range(3):
        await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    methods = [(m, b.get("count")) for m, p, b in client.writes if "/events" in p]
    assert methods == [("POST", 1), ("PATCH", 2), ("PATCH", 3)]


async def test_ttl_deletion_deletes_the_job_with_its_uid_and_counts_it(client, writer, metrics):
    await writer.execute(Plan(delete_job=True), key=KEY, job=JOB, kind=KIND)
    method, path, body = client.writes[0]
    assert (method, path) == ("DELETE", "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a")
    assert body["preconditions"] == {"uid": "job-uid"}
    assert (
        metrics.value(
            "training_operator_jobs_deleted_total", {"job_namespace": "default", "framework": "demo"}
        )
        == 1
    )


def test_merge_patch_nulls_removed_keys_and_recurses():
    old = {"a": 1, "b": {"x": 1, "y": 2}, "c": [1]}
    new = {"a": 1, "b": {"x": 1}, "c": [2], "d": {}}
    assert merge_patch(old, new) == {"b": {"y": None}, "c": [2], "d": {}}
