"""The writer, against a recording client:

* a plan's writes go out in order (claims, deletes, creates, updates, status, job deletion) and nothing
  else; a new job's status (its Created condition) goes before any child;
* deletes carry the uid precondition; a 404 on delete is done;
* a 409 AlreadyExists on create is done when the object is ours; anything else there is learnt into the
  index (as a probe), the creates after it wait for an immediate re-plan, the rest of the plan goes on;
* adoption and release are patches with the object's uid as precondition (strategic merge for Kubernetes
  types, the whole list for custom resources); a claim on an object that changed meanwhile forgets it;
* the status is a merge patch on /status with the resourceVersion guard, only when the plan has one;
* a failing write stops neither the other writes nor the status; the failures go back to the queue
  together, and the plan's counters wait for a status write that holds them;
* outcome events and counters; repeated events bump one Event's count.
"""

import pytest

from training_operator.core.engine.plan import (
    Adopt,
    Create,
    Delete,
    Event,
    MetricIncrement,
    Plan,
    Release,
    Update,
)
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import WriteFailed, Writer, merge_patch
from training_operator.core.metrics import Metrics
from training_operator.core.testing.demo_kind import DemoFramework, a_stored_body, owner_reference

KIND = DemoFramework.kind
KEY = JobKey("DemoJob", "default", "job-a")
JOB = a_stored_body(status={"conditions": [{"type": "Created", "status": "True"}], "startTime": "t0"})
OWNER = owner_reference()


def config_map_body(name):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "default"}}


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
        claims=(Adopt("v1", "Service", "job-a-worker-1", "uid-s1", OWNER),),
        deletes=(Delete("v1", "Pod", "job-a-worker-3", uid="u3"),),
        creates=(Create(pod_body("job-a-worker-0")),),
        updates=(Update("v1", "ConfigMap", "job-a-config", {"data": {"a": "b"}}),),
        status={"conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "True"}]},
    )
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert api_writes(client) == [
        ("PATCH", "/api/v1/namespaces/default/services/job-a-worker-1"),
        ("DELETE", "/api/v1/namespaces/default/pods/job-a-worker-3"),
        ("POST", "/api/v1/namespaces/default/pods"),
        ("PATCH", "/api/v1/namespaces/default/configmaps/job-a-config"),
        ("PATCH", "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status"),
    ]
    delete_body = client.writes[1][2]
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


async def test_already_exists_for_someone_elses_object_is_learnt_and_the_rest_still_goes(client, writer):
    path = "/api/v1/namespaces/default/pods"
    client.answer("POST", path, ApiError(409, "AlreadyExists", "exists"))
    stranger = pod_body("job-a-worker-0", owner={**OWNER, "uid": "another-job", "kind": "ReplicaSet"})
    client.answer("GET", f"{path}/job-a-worker-0", stranger)
    plan = Plan(
        creates=(Create(pod_body("job-a-worker-0")), Create(config_map_body("job-a-config"))),
        updates=(Update("v1", "ConfigMap", "job-a-other", {"data": {"a": "b"}}),),
        status={"startTime": "t1"},
    )
    written = await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert written.replan  # the engine decides about the stranger at once
    assert api_writes(client) == [
        ("POST", path),
        ("PATCH", "/api/v1/namespaces/default/configmaps/job-a-other"),
        ("PATCH", "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status"),
    ]  # the creates after the stranger wait for the re-plan; updates and the status do not
    [record] = writer.index.snapshot(KEY).pods
    assert (record.owner_uid, record.controller) == ("another-job", "ReplicaSet/job-a")
    assert writer.index.probes(KEY) == [("v1", "Pod", "job-a-worker-0")]
    await writer.recorder.flush()
    events = [b for m, p, b in client.writes if p.endswith("/events")]
    assert events == []  # the engine reports it (once), not every create


async def test_a_failed_write_stops_neither_the_other_children_nor_the_status(client, writer, metrics):
    client.answer(
        "DELETE", "/api/v1/namespaces/default/pods/job-a-worker-3", ApiError(500, "InternalError", "boom")
    )
    client.answer("POST", "/api/v1/namespaces/default/configmaps", ApiError(403, "Forbidden", "quota"))
    plan = Plan(
        deletes=(
            Delete("v1", "Pod", "job-a-worker-3", uid="u3"),
            Delete("v1", "Pod", "job-a-worker-4", uid="u4"),
        ),
        creates=(Create(config_map_body("job-a-config")), Create(pod_body("job-a-worker-0"))),
        updates=(Update("v1", "ConfigMap", "job-a-other", {"data": {"a": "b"}}),),
        status={"startTime": "t1"},
        metrics=(
            MetricIncrement(
                "training_operator_jobs_successful_total", {"job_namespace": "default", "framework": "demo"}
            ),
        ),
    )
    with pytest.raises(WriteFailed, match="boom; 403 Forbidden: quota") as failed:
        await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert [(m, p.rsplit("/", 1)[-1]) for m, p in api_writes(client)] == [
        ("DELETE", "job-a-worker-3"),
        ("DELETE", "job-a-worker-4"),
        ("POST", "configmaps"),
        ("POST", "pods"),
        ("PATCH", "job-a-other"),
        ("PATCH", "status"),
    ]
    assert failed.value.job is not JOB  # the body the status write answered, for the job store
    labels = {"job_namespace": "default", "framework": "demo"}
    assert metrics.value("training_operator_jobs_successful_total", labels) == 1  # the status holds it


async def test_a_failed_status_write_leaves_the_plans_counters_to_the_retry(client, writer, metrics):
    status_path = "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status"
    client.answer("PATCH", status_path, ApiError(409, "Conflict", "the object has been modified"))
    labels = {"job_namespace": "default", "framework": "demo"}
    plan = Plan(
        status={"startTime": "t1"},
        metrics=(MetricIncrement("training_operator_jobs_successful_total", labels),),
    )
    with pytest.raises(WriteFailed, match="status of job-a"):
        await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert metrics.value("training_operator_jobs_successful_total", labels) == 0


async def test_a_new_jobs_status_is_written_before_any_child(client, writer):
    fresh = {**JOB, "status": {}}
    plan = Plan(
        creates=(Create(pod_body("job-a-worker-0")),),
        status={"conditions": [{"type": "Created", "status": "True"}]},
    )
    await writer.execute(plan, key=KEY, job=fresh, kind=KIND)
    assert [p.rsplit("/", 1)[-1] for _, p in api_writes(client)] == ["status", "pods"]


async def test_an_orphan_is_adopted_with_a_strategic_merge_patch_and_its_uid(client, writer):
    owner = {**OWNER, "blockOwnerDeletion": True}
    plan = Plan(claims=(Adopt("v1", "Service", "job-a-worker-0", "uid-svc", owner),))
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    [(method, path, body)] = client.writes
    assert (method, path) == ("PATCH", "/api/v1/namespaces/default/services/job-a-worker-0")
    assert body == {"metadata": {"uid": "uid-svc", "ownerReferences": [owner]}}
    assert client.content_types[-1] == "application/strategic-merge-patch+json"


async def test_a_custom_resource_is_adopted_with_its_other_references_kept(client, writer):
    other = {"apiVersion": "v1", "kind": "ConfigMap", "name": "x", "uid": "uid-x"}
    api = "scheduling.volcano.sh/v1beta1"
    plan = Plan(claims=(Adopt(api, "PodGroup", "job-a", "uid-pg", OWNER, keep=(other,)),))
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    [(_, path, body)] = client.writes
    assert path == f"/apis/{api}/namespaces/default/podgroups/job-a"
    assert body == {"metadata": {"uid": "uid-pg", "ownerReferences": [other, OWNER]}}
    assert client.content_types[-1] == "application/merge-patch+json"


async def test_a_release_deletes_our_reference_by_uid(client, writer):
    plan = Plan(claims=(Release("v1", "Pod", "job-a-worker-0", "uid-p", "job-uid"),))
    await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    [(_, _, body)] = client.writes
    assert body == {"metadata": {"uid": "uid-p", "ownerReferences": [{"$patch": "delete", "uid": "job-uid"}]}}


@pytest.mark.parametrize("status", [404, 409, 422])
async def test_a_claim_on_an_object_that_changed_meanwhile_is_forgotten_and_retried(client, writer, status):
    path = "/api/v1/namespaces/default/pods/job-a-worker-0"
    writer.index.learn(
        KEY,
        {
            **pod_body("job-a-worker-0", owner={}),
            "metadata": {"name": "job-a-worker-0", "namespace": "default"},
        },
    )
    client.answer("PATCH", path, ApiError(status, "Invalid", "metadata.uid: field is immutable"))
    plan = Plan(claims=(Adopt("v1", "Pod", "job-a-worker-0", "uid-old", OWNER),))
    with pytest.raises(WriteFailed):
        await writer.execute(plan, key=KEY, job=JOB, kind=KIND)
    assert writer.index.snapshot(KEY).pods == ()


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

    assert written.job is JOB
    await writer.recorder.flush()
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
    await writer.recorder.flush()
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
    await writer.recorder.flush()
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


async def test_a_new_jobs_failed_status_write_is_tried_once_and_the_children_still_go(client, writer):
    status_path = "/apis/kubeflow.org/v1/namespaces/default/demojobs/job-a/status"
    client.answer("PATCH", status_path, ApiError(409, "Conflict", "the object has been modified"))
    fresh = {**JOB, "status": {}}
    plan = Plan(creates=(Create(pod_body("job-a-worker-0")),), status={"conditions": [{"type": "Created"}]})
    with pytest.raises(WriteFailed, match="status of job-a"):
        await writer.execute(plan, key=KEY, job=fresh, kind=KIND)
    assert [p.rsplit("/", 1)[-1] for _, p in api_writes(client)] == ["status", "pods"]
