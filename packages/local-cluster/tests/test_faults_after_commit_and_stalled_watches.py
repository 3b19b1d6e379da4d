"""The fault switches that strike after the verb or hold a stream open:

* mode "after": the create commits, the client gets 504 (or, with code 0, a closed connection and no
  answer), and the object is there; a repeated create is then a plain 409 AlreadyExists;
* mode "after" on a status patch: the write is kept although the client saw 500;
* mode "stall": a watch opens with 200 and sends nothing (no events, no bookmarks) while objects change;
  clearing the rules (or cutting watches) ends it, and a watch resumed from the last seen version gets
  everything that happened meanwhile;
* bad modes and a stall on anything but watches are refused with 400;
* a watcher that leaves its events unread past a bound is cut, and a watcher beside it gets them all.
"""

import threading

import pytest
import requests

from training_operator.local import watching

CMS = "/api/v1/namespaces/default/configmaps"


def test_a_create_commits_although_the_client_gets_504(api):
    api.post("/debug/faults", {"code": 504, "verbs": ["create"], "resource": "configmaps", "mode": "after"})
    status, body = api.post(CMS, {"metadata": {"name": "kept"}})
    assert (status, body["reason"]) == (504, "Timeout")
    assert api.get(f"{CMS}/kept")[0] == 200
    status, body = api.post(CMS, {"metadata": {"name": "kept"}})
    assert (status, body["reason"]) == (409, "AlreadyExists")


def test_a_dropped_answer_leaves_the_object_created(api):
    api.post("/debug/faults", {"code": 0, "verbs": ["create"], "resource": "configmaps", "mode": "after"})
    with pytest.raises(requests.ConnectionError):
        api.post(CMS, {"metadata": {"name": "dropped"}})
    assert api.get(f"{CMS}/dropped")[0] == 200
    _status, body = api.get("/debug/requests")
    assert body["rules"][0]["fired"] == 1
    assert api.post(CMS, {"metadata": {"name": "after"}})[0] == 201  # the rule fired once only


def test_a_status_patch_is_kept_although_the_client_gets_500(api):
    pods = "/api/v1/namespaces/default/pods"
    api.post(pods, {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "local"}]}})
    api.post("/debug/faults", {"code": 500, "verbs": ["patch"], "resource": "pods/status", "mode": "after"})
    status, _body = api.patch(f"{pods}/p/status", {"status": {"message": "written"}})
    assert status == 500
    assert api.get(f"{pods}/p")[1]["status"]["message"] == "written"


def test_a_stalled_watch_says_nothing_until_released(api, wait):
    version = api.get(CMS)[1]["metadata"]["resourceVersion"]
    api.post("/debug/faults", {"verbs": ["watch"], "resource": "configmaps", "mode": "stall", "times": 1})
    result: list = []
    thread = threading.Thread(
        target=lambda: result.append(
            api.watch(CMS, resourceVersion=version, allowWatchBookmarks="true", timeoutSeconds=30)
        )
    )
    thread.start()
    wait(lambda: api.get("/debug/requests")[1]["stalledWatches"] == 1, message="the watch stalled")
    api.post(CMS, {"metadata": {"name": "unseen"}})
    # a healthy watch beside it gets the change and then a bookmark (every 0.3 s in these tests)
    healthy = api.watch(
        CMS,
        resourceVersion=version,
        allowWatchBookmarks="true",
        until=lambda events: events[-1]["type"] == "BOOKMARK",
    )
    assert [e["type"] for e in healthy] == ["ADDED", "BOOKMARK"]
    assert thread.is_alive()
    api.delete("/debug/faults")
    thread.join(timeout=10)
    assert result == [[]]  # the stalled stream sent neither the change nor a bookmark
    resumed = api.watch(CMS, resourceVersion=version, until=lambda events: len(events) >= 1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in resumed] == [("ADDED", "unseen")]


def test_cutting_watches_ends_a_stall(api, wait):
    api.post("/debug/faults", {"verbs": ["watch"], "resource": "configmaps", "mode": "stall"})
    result: list = []
    thread = threading.Thread(target=lambda: result.append(api.watch(CMS, timeoutSeconds=30)))
    thread.start()
    wait(lambda: api.get("/debug/requests")[1]["stalledWatches"] == 1, message="the watch stalled")
    assert api.post("/debug/watches/cut", {})[1]["cut"] >= 1
    thread.join(timeout=10)
    assert result == [[]]
    assert api.get("/debug/requests")[1]["stalledWatches"] == 0


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param({"code": 500, "mode": "later"}, id="unknown-mode"),
        pytest.param({"verbs": ["create"], "mode": "stall"}, id="stall-on-a-write"),
    ],
)
def test_bad_rules_are_refused(api, rule):
    status, body = api.post("/debug/faults", rule)
    assert (status, body["reason"]) == (400, "BadRequest")
    assert api.get("/debug/requests")[1]["rules"] == []


def test_a_watcher_that_does_not_read_is_cut_and_the_others_go_on(api, wait, monkeypatch):
    """As the watch cache closes an unresponsive watcher: events piling up unread past a bound end that
    stream (its client resumes from the last version it read); a watcher beside it gets every event."""
    monkeypatch.setattr(watching, "MAX_UNSENT_BYTES", 64 * 1024)
    version = api.get(CMS)[1]["metadata"]["resourceVersion"]
    stuck = api.session.get(
        api.url + CMS,
        params={"watch": "true", "resourceVersion": version, "timeoutSeconds": "60"},
        stream=True,
        timeout=30,
        verify=api.ca,
    )
    try:
        assert stuck.status_code == 200  # its head is read, its body never
        wait(lambda: api.get("/debug/requests")[1]["openWatches"] == 1, message="the watch open")
        names = []
        # the kernel's socket buffers take the first few MiB; each configmap's event is 256 KiB (bounded)
        for index in range(160):
            names.append(f"big-{index}")
            api.post(CMS, {"metadata": {"name": names[-1]}, "data": {"blob": "x" * 256 * 1024}})
            if api.get("/debug/requests")[1]["openWatches"] == 0:
                break
        assert api.get("/debug/requests")[1]["openWatches"] == 0, "the unread watch was not cut"
        seen = api.watch(CMS, resourceVersion=version, until=lambda events: len(events) == len(names))
        assert [e["object"]["metadata"]["name"] for e in seen] == names
    finally:
        stuck.close()
