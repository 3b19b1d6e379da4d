"""Deletion: preconditions, finalizers + deletionTimestamp, propagation Background / Foreground / Orphan
through the garbage collector, deletecollection, namespace finalization."""

CMS = "/api/v1/namespaces/default/configmaps"


def owned(name: str, owner: dict, **meta) -> dict:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }
    return {"metadata": {"name": name, "ownerReferences": [ref], **meta}}


def exists(api, name: str) -> bool:
    return api.get(f"{CMS}/{name}")[0] == 200


def test_finalizers_hold_deletion_until_removed(api):
    api.post(CMS, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    status, body = api.delete(f"{CMS}/held")
    assert status == 200
    assert body["metadata"]["deletionTimestamp"]
    assert exists(api, "held")
    status, body = api.post(CMS, {"metadata": {"name": "held"}})
    assert status == 409
    api.patch(f"{CMS}/held", {"metadata": {"finalizers": None}})
    assert not exists(api, "held")


def test_preconditions(api):
    _status, obj = api.post(CMS, {"metadata": {"name": "pre"}})
    status, body = api.delete(f"{CMS}/pre", {"preconditions": {"uid": "other"}})
    assert status == 409
    assert body["reason"] == "Conflict"
    status, body = api.delete(
        f"{CMS}/pre", {"preconditions": {"resourceVersion": obj["metadata"]["resourceVersion"]}}
    )
    assert status == 200
    assert not exists(api, "pre")


def test_background_cascade(api, wait):
    _status, owner = api.post(CMS, {"metadata": {"name": "owner"}})
    api.post(CMS, owned("child", owner))
    _status, child = api.get(f"{CMS}/child")
    api.post(CMS, owned("grandchild", child))
    api.delete(f"{CMS}/owner", propagationPolicy="Background")
    assert not exists(api, "owner")
    wait(lambda: not exists(api, "child") and not exists(api, "grandchild"), message="cascade")


def test_dependent_of_a_missing_owner_is_collected(api, wait):
    _status, owner = api.post(CMS, {"metadata": {"name": "ghost"}})
    api.delete(f"{CMS}/ghost")
    api.post(CMS, owned("orphan-of-ghost", owner))
    wait(lambda: not exists(api, "orphan-of-ghost"), message="collection of a dangling dependent")


def test_foreground_waits_for_dependents(api, wait):
    _status, owner = api.post(CMS, {"metadata": {"name": "fg"}})
    api.post(CMS, owned("fg-child", owner, finalizers=["example.com/slow"]))
    status, body = api.delete(f"{CMS}/fg", propagationPolicy="Foreground")
    assert status == 200
    assert "foregroundDeletion" in body["metadata"]["finalizers"]
    wait(lambda: api.get(f"{CMS}/fg-child")[1]["metadata"].get("deletionTimestamp"), message="child deleting")
    assert exists(api, "fg")
    api.patch(f"{CMS}/fg-child", {"metadata": {"finalizers": None}})
    wait(lambda: not exists(api, "fg"), message="owner gone after its dependents")


def test_orphan_keeps_dependents_and_drops_references(api, wait):
    _status, owner = api.post(CMS, {"metadata": {"name": "orph"}})
    api.post(CMS, owned("kept", owner))
    api.delete(f"{CMS}/orph", propagationPolicy="Orphan")
    wait(lambda: not exists(api, "orph"), message="owner gone")
    kept = api.get(f"{CMS}/kept")[1]
    assert "ownerReferences" not in kept["metadata"]


def test_delete_collection_with_selector(api):
    for name, team in (("d1", "a"), ("d2", "a"), ("d3", "b")):
        api.post(CMS, {"metadata": {"name": name, "labels": {"team": team}}})
    status, body = api.delete(CMS, labelSelector="team=a")
    assert status == 200
    assert sorted(o["metadata"]["name"] for o in body["items"]) == ["d1", "d2"]
    assert [o["metadata"]["name"] for o in api.get(CMS, labelSelector="team")[1]["items"]] == ["d3"]


def test_namespace_deletion_removes_its_contents(api, wait, make_pod):
    api.post("/api/v1/namespaces", {"metadata": {"name": "doomed"}})
    api.post(
        "/api/v1/namespaces/doomed/configmaps",
        {"metadata": {"name": "c", "finalizers": ["example.com/hold"]}},
    )
    api.post(
        "/api/v1/namespaces/doomed/pods", make_pod("p", ["sleep", "30"], terminationGracePeriodSeconds=1)
    )
    status, body = api.delete("/api/v1/namespaces/doomed")
    assert status == 200
    assert body["status"]["phase"] == "Terminating"
    status, body = api.post("/api/v1/namespaces/doomed/configmaps", {"metadata": {"name": "late"}})
    assert status == 403
    assert body["reason"] == "Forbidden"
    wait(lambda: api.get("/api/v1/namespaces/doomed/pods/p")[0] == 404, message="pod gone")
    wait(lambda: api.get("/api/v1/namespaces/doomed/configmaps/c")[1]["metadata"].get("deletionTimestamp"))
    api.patch("/api/v1/namespaces/doomed/configmaps/c", {"metadata": {"finalizers": None}})
    wait(lambda: api.get("/api/v1/namespaces/doomed")[0] == 404, timeout=30, message="namespace finalized")
    assert api.get("/api/v1/namespaces/doomed/configmaps/c")[0] == 404


def test_default_namespace_exists(api):
    assert api.get("/api/v1/namespaces/default")[1]["status"]["phase"] == "Active"
