"""The child index and the watch that feeds it:

* children are routed to their job by controller owner (or, for MPI launcher pods, by the job-name label);
* an update that changes nothing the engine reads wakes no job;
* a relist after 410 Gone replaces a resource's records: objects deleted during the gap disappear;
* the watch resumes from the last resourceVersion and relists (not merges) on 410;
* an object learnt from a 409 is in its job's snapshot as a probe until a watch event, our own write, a
  relist or a forget takes over.
"""

import asyncio

import pytest

from training_operator.core.framework import ChildResource
from training_operator.core.kube import watch
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.resources import CHILDREN
from training_operator.core.testing.demo_kind import DemoFramework

KEY = JobKey("DemoJob", "default", "job-a")
PODS = CHILDREN[ChildResource.POD]


@pytest.fixture
def index():
    return Index([DemoFramework.kind])


def names(index, key=KEY):
    return [p.name for p in index.snapshot(key).pods]


def test_children_are_routed_to_their_controller_job(index, a_pod):
    assert index.apply("ADDED", a_pod("job-a-worker-0")) == {KEY}
    assert index.apply("ADDED", a_pod("other-worker-0", job="other")) == {
        JobKey("DemoJob", "default", "other")
    }
    assert names(index) == ["job-a-worker-0"]


def test_a_pod_owned_by_something_else_is_kept_only_if_it_carries_our_labels(index, a_pod):
    launcher = a_pod("job-a-launcher-xyz")
    launcher["metadata"]["ownerReferences"][0].update(
        apiVersion="batch/v1", kind="Job", name="job-a-launcher"
    )
    assert index.apply("ADDED", launcher) == {KEY}
    stranger = a_pod("unrelated")
    stranger["metadata"]["labels"] = {}
    stranger["metadata"]["ownerReferences"] = []
    assert index.apply("ADDED", stranger) == set()
    assert names(index) == ["job-a-launcher-xyz"]


def test_an_update_that_changes_nothing_the_engine_reads_wakes_no_job(index, a_pod):
    index.apply("ADDED", a_pod("job-a-worker-0", rv="1"))
    noisy = a_pod("job-a-worker-0", rv="2")  # every real update bumps the resourceVersion
    noisy["metadata"]["annotations"] = {"kubelet": "heartbeat"}
    assert index.apply("MODIFIED", noisy) == set()
    assert index.apply("MODIFIED", a_pod("job-a-worker-0", phase="Succeeded", rv="3")) == {KEY}
    assert index.snapshot(KEY).pods[0].phase == "Succeeded"


def test_the_echo_of_our_own_write_wakes_no_job_and_what_follows_it_still_does(index, a_pod):
    index.put(KEY, a_pod("job-a-worker-0", phase="Pending", rv="5"))  # the create's answer
    assert index.apply("ADDED", a_pod("job-a-worker-0", phase="Pending", rv="5")) == set()
    assert index.apply("MODIFIED", a_pod("job-a-worker-0", phase="Running", rv="6")) == {KEY}
    index.put(KEY, a_pod("job-a-worker-1", phase="Pending", rv="7"))
    # the watch skipped our version (it coalesced it with a later one): the later one is applied
    assert index.apply("MODIFIED", a_pod("job-a-worker-1", phase="Failed", rv="9")) == {KEY}
    assert [p.phase for p in index.snapshot(KEY).pods] == ["Running", "Failed"]
    assert index.apply("DELETED", a_pod("job-a-worker-1", rv="10")) == {KEY}
    assert names(index) == ["job-a-worker-0"]


def test_a_relist_replaces_what_the_index_held(index, a_pod):
    index.apply("ADDED", a_pod("job-a-worker-0"))
    index.apply("ADDED", a_pod("job-a-worker-1"))
    touched = index.replace(("v1", "Pod"), [a_pod("job-a-worker-1"), a_pod("job-a-worker-2")])
    assert touched == {KEY}
    assert names(index) == ["job-a-worker-1", "job-a-worker-2"]


def test_deleted_removes_and_empty_jobs_vanish(index, a_pod):
    index.apply("ADDED", a_pod("job-a-worker-0"))
    assert index.apply("DELETED", a_pod("job-a-worker-0")) == {KEY}
    assert index.snapshot(KEY).pods == ()
    assert len(index) == 0


@pytest.mark.timeout(2)
async def test_watch_resumes_from_the_last_version_and_relists_on_410(index, client, a_pod):
    listing = {
        "metadata": {"resourceVersion": "10"},
        "items": [a_pod("job-a-worker-0"), a_pod("job-a-worker-1")],
    }
    for item in listing["items"]:
        del item["kind"], item["apiVersion"]  # list items come without them
    relisting = {"metadata": {"resourceVersion": "30"}, "items": [a_pod("job-a-worker-1")]}
    client.answer("GET", "/api/v1/pods", listing, relisting)
    client.streams = [
        [{"type": "MODIFIED", "object": a_pod("job-a-worker-1", phase="Succeeded", rv="11")}],
        ApiError(410, "Expired", "too old resource version"),
    ]
    notified: list[set[JobKey]] = []
    synced = asyncio.Event()
    task = asyncio.create_task(
        watch.watch_children(
            client,
            PODS,
            index=index,
            selector="x in (y)",
            namespace=None,
            notify=lambda keys: notified.append(set(keys)),
            synced=synced,
        )
    )
    for _ in range(1000):  # the scripted client never blocks until its script is used up
        if len([c for c in client.calls if c[0] == "WATCH"]) >= 3:
            break
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    assert synced.is_set()
    watches = [c[2] for c in client.calls if c[0] == "WATCH"]
    assert watches[0]["resourceVersion"] == "10"
    assert watches[1]["resourceVersion"] == "11"  # resumed after the event
    assert all(w["labelSelector"] == "x in (y)" for w in watches)
    assert names(index) == ["job-a-worker-1"]  # worker-0 vanished during the gap: gone after the relist
    assert {KEY} in notified


def test_children_of_one_job_share_their_key_and_repeated_strings(index, a_pod):
    """Memory: 10,000 children must not carry 10,000 copies of the same label keys, owner uid and job key."""
    import json

    first = index.apply("ADDED", json.loads(json.dumps(a_pod("job-a-worker-0"))))
    second = index.apply("ADDED", json.loads(json.dumps(a_pod("job-a-worker-1"))))
    assert next(iter(first)) is next(iter(second))
    pod0, pod1 = index.snapshot(KEY).pods
    assert pod0.owner_uid is pod1.owner_uid
    shared_keys = [(k0, k1) for k0, k1 in zip(sorted(pod0.labels), sorted(pod1.labels), strict=True)]
    assert shared_keys
    assert all(k0 is k1 for k0, k1 in shared_keys)


async def test_a_relist_reads_pages_and_replaces_only_once_all_are_in(index, a_pod):
    """client-go's reflector pages its LISTs; so do we, so 10,000 pods are never parsed in one piece."""
    index.apply("ADDED", a_pod("job-a-worker-9"))  # deleted while we were away
    pages = {
        None: {"metadata": {"continue": "p2", "resourceVersion": "40"}, "items": [a_pod("job-a-worker-0")]},
        "p2": {"metadata": {"resourceVersion": "40"}, "items": [a_pod("job-a-worker-1")]},
    }
    asked: list[dict[str, str]] = []
    seen_mid_relist: list[list[str]] = []

    class PagingClient:
        async def request(self, method, path, *, params=None, body=None, content_type=""):
            asked.append(dict(params))
            seen_mid_relist.append(names(index))
            return pages[params.get("continue")]

    sink = watch.IndexSink(index, PODS, notify=lambda keys: None)
    version = await watch._relist(PagingClient(), PODS, sink, selector=None, namespace=None)
    assert version == "40"
    assert [a.get("limit") for a in asked] == [str(watch.PAGE_SIZE)] * 2
    assert [a.get("continue") for a in asked] == [None, "p2"]
    assert seen_mid_relist[1] == ["job-a-worker-0", "job-a-worker-9"]  # nothing dropped before the end
    assert names(index) == ["job-a-worker-0", "job-a-worker-1"]


def test_recorded_labels_read_like_the_pods_labels(index, a_pod):
    pod = a_pod("job-a-worker-0")
    pod["metadata"]["labels"] = {"b": "2", "a": "1"}
    index.apply("ADDED", pod)
    labels = index.snapshot(KEY).pods[0].labels
    assert labels == {"a": "1", "b": "2"}
    assert dict(labels) == {"a": "1", "b": "2"}
    assert (labels.get("a"), labels.get("missing"), "b" in labels, len(labels)) == ("1", None, True, 2)
    assert hash(labels) == hash(index.snapshot(KEY).pods[0].labels)


def stranger(name="job-a-worker-0"):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": "uid-stranger",
            "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "uid": "uid-rs", "controller": True}],
        },
    }


def test_a_learnt_object_is_in_the_jobs_snapshot_and_listed_as_a_probe(index):
    index.learn(KEY, stranger())
    [pod] = index.snapshot(KEY).pods
    assert (pod.name, pod.owner_uid, pod.controller) == ("job-a-worker-0", "uid-rs", "ReplicaSet/web")
    assert index.probes(KEY) == [("v1", "Pod", "job-a-worker-0")]
    assert index.probes(JobKey("DemoJob", "default", "other")) == []


def test_a_watch_event_or_our_own_write_takes_a_probe_over(index, a_pod):
    index.learn(KEY, stranger())
    index.apply("MODIFIED", a_pod("job-a-worker-0"))  # it turned out to be ours, and the watch shows it
    assert index.probes(KEY) == []
    index.learn(KEY, stranger("job-a-worker-1"))
    index.put(KEY, a_pod("job-a-worker-1"))
    assert index.probes(KEY) == []


def test_a_relist_drops_learnt_objects_and_forget_drops_one(index, a_pod):
    index.learn(KEY, stranger())
    index.learn(KEY, stranger("job-a-worker-1"))
    index.forget(KEY, api_version="v1", kind="Pod", name="job-a-worker-1")
    assert index.probes(KEY) == [("v1", "Pod", "job-a-worker-0")]
    index.replace(("v1", "Pod"), [a_pod("job-a-worker-2")])  # the label-selected list never shows it
    assert names(index) == ["job-a-worker-2"]
    assert index.probes(KEY) == []


def test_a_create_answer_read_after_newer_watch_events_does_not_set_the_child_back(index, a_pod):
    # the writer sends the create; the watch shows it, then the kubelet's Running and Succeeded, all
    # before the answer (rv 5, Pending) is read: the answer must not undo what the watch showed
    index.expect(KEY, a_pod("job-a-worker-0"))
    index.apply("ADDED", a_pod("job-a-worker-0", phase="Pending", rv="5"))
    index.apply("MODIFIED", a_pod("job-a-worker-0", phase="Running", rv="6"))
    index.apply("MODIFIED", a_pod("job-a-worker-0", phase="Succeeded", rv="7"))
    index.put(KEY, a_pod("job-a-worker-0", phase="Pending", rv="5"))
    assert [p.phase for p in index.snapshot(KEY).pods] == ["Succeeded"]
    # nothing is left waiting for an echo that already came
    assert index.apply("MODIFIED", a_pod("job-a-worker-0", phase="Succeeded", rv="8")) == set()


def test_an_answer_newer_than_what_the_watch_showed_at_its_name_is_recorded(index, a_pod):
    index.apply("ADDED", a_pod("job-a-worker-0", phase="Failed", rv="3"))
    index.expect(KEY, a_pod("job-a-worker-0"))
    index.apply("DELETED", a_pod("job-a-worker-0", phase="Failed", rv="4"))  # the one it replaces
    index.put(KEY, a_pod("job-a-worker-0", phase="Pending", rv="9"))
    assert [p.phase for p in index.snapshot(KEY).pods] == ["Pending"]
    assert index.apply("ADDED", a_pod("job-a-worker-0", phase="Pending", rv="9")) == set()  # its echo


def test_a_failed_create_leaves_nothing_expected(index, a_pod):
    index.expect(KEY, a_pod("job-a-worker-0"))
    index.unexpect(KEY, a_pod("job-a-worker-0"))
    index.apply("ADDED", a_pod("job-a-worker-0", phase="Running", rv="8"))
    index.put(KEY, a_pod("job-a-worker-0", phase="Pending", rv="5"))  # e.g. a 409's re-read, taken as is
    assert [p.phase for p in index.snapshot(KEY).pods] == ["Pending"]
