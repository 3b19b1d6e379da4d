"""Watch: initial ADDED events, resume from a resourceVersion, MODIFIED/DELETED, server-side selectors (an
object leaving the selector is DELETED), bookmarks, timeoutSeconds, 410 Expired for a too-old version."""

CMS = "/api/v1/namespaces/default/configmaps"


def test_initial_state_then_changes(api):
    api.post(CMS, {"metadata": {"name": "one"}})
    _status, listed = api.get(CMS)
    rv = listed["metadata"]["resourceVersion"]
    api.post(CMS, {"metadata": {"name": "two"}})
    api.patch(f"{CMS}/two", {"data": {"k": "v"}})
    api.delete(f"{CMS}/one")
    events = api.watch(CMS, resourceVersion=rv, until=lambda e: len(e) >= 3)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "two"),
        ("MODIFIED", "two"),
        ("DELETED", "one"),
    ]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == sorted(versions)
    assert int(rv) < versions[0]


def test_watch_without_version_replays_current_objects(api):
    api.post(CMS, {"metadata": {"name": "here"}})
    events = api.watch(CMS, until=lambda e: len(e) >= 1, timeoutSeconds=5)
    assert events[0]["type"] == "ADDED"
    assert events[0]["object"]["metadata"]["name"] == "here"


def test_label_selector_transitions(api):
    _status, created = api.post(CMS, {"metadata": {"name": "sel", "labels": {"watch": "yes"}}})
    rv = created["metadata"]["resourceVersion"]
    api.patch(f"{CMS}/sel", {"metadata": {"labels": {"watch": "no"}}})
    api.patch(f"{CMS}/sel", {"metadata": {"labels": {"watch": "yes"}}})
    api.post(CMS, {"metadata": {"name": "other", "labels": {"watch": "no"}}})
    api.patch(f"{CMS}/sel", {"data": {"a": "b"}})
    events = api.watch(CMS, resourceVersion=rv, labelSelector="watch=yes", until=lambda e: len(e) >= 3)
    assert [e["type"] for e in events] == ["DELETED", "ADDED", "MODIFIED"]


def test_field_selector_on_name(api):
    _status, created = api.post(CMS, {"metadata": {"name": "x1"}})
    api.post(CMS, {"metadata": {"name": "x2"}})
    api.patch(f"{CMS}/x1", {"data": {"a": "b"}})
    events = api.watch(
        CMS,
        resourceVersion=created["metadata"]["resourceVersion"],
        fieldSelector="metadata.name=x1",
        until=lambda e: len(e) >= 1,
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("MODIFIED", "x1")]


def test_bookmarks_carry_the_current_version(api):
    _status, listed = api.get(CMS)
    events = api.watch(
        CMS,
        resourceVersion=listed["metadata"]["resourceVersion"],
        allowWatchBookmarks="true",
        until=lambda e: any(x["type"] == "BOOKMARK" for x in e),
    )
    bookmark = next(e for e in events if e["type"] == "BOOKMARK")
    assert bookmark["object"]["kind"] == "ConfigMap"
    assert int(bookmark["object"]["metadata"]["resourceVersion"]) >= int(
        listed["metadata"]["resourceVersion"]
    )


def test_timeout_seconds_ends_the_stream(api):
    _status, listed = api.get(CMS)
    events = api.watch(CMS, resourceVersion=listed["metadata"]["resourceVersion"], timeoutSeconds=1)
    assert events == []


def test_too_old_version_answers_expired(tmp_path, api_for):
    from training_operator.local import BackgroundCluster

    with BackgroundCluster(tmp_path / "small", network="loopback", kubelet=False, history=3) as small:
        api = api_for(small)
        _status, first = api.post(CMS, {"metadata": {"name": "old"}})
        for index in range(5):
            api.patch(f"{CMS}/old", {"data": {"n": str(index)}})
        events = api.watch(
            CMS, resourceVersion=first["metadata"]["resourceVersion"], until=lambda e: len(e) >= 1
        )
        assert events[0]["type"] == "ERROR"
        assert events[0]["object"]["code"] == 410
        assert events[0]["object"]["reason"] == "Expired"
        # A recent version still resumes.
        _status, listed = api.get(CMS)
        assert api.watch(CMS, resourceVersion=listed["metadata"]["resourceVersion"], timeoutSeconds=1) == []


def test_official_client_watch_stream(kube, api):
    import kubernetes

    core = kubernetes.client.CoreV1Api(kube)
    core.create_namespaced_config_map("default", {"metadata": {"name": "w1"}})
    watcher = kubernetes.watch.Watch()
    seen = []
    for event in watcher.stream(core.list_namespaced_config_map, "default", timeout_seconds=5):
        seen.append((event["type"], event["object"].metadata.name))
        if ("ADDED", "w1") in seen:
            watcher.stop()
    assert ("ADDED", "w1") in seen


def test_boolean_query_values_are_read_as_the_real_server_reads_them(api):
    """kubernetes client 35 (pinned by Kubeflow's SDK) writes `watch=True`: it must still stream."""
    api.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "flag"}, "data": {}})
    for value in ("True", "TRUE", "1", "true"):
        events = api.watch("/api/v1/namespaces/default/configmaps", watch=value, until=lambda e: len(e) >= 1)
        assert [e["type"] for e in events] == ["ADDED"], value
    status, listing = api.get("/api/v1/namespaces/default/configmaps", watch="False")
    assert status == 200
    assert listing["kind"] == "ConfigMapList"
