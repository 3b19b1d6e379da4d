"""Owner references and uids as a real API server treats them, so controllers' claims can be tested here:

* a strategic merge patch carrying the object's uid adds a controller reference to an orphan (merge key uid),
  and `$patch: delete` removes one by uid;
* a patch whose uid is not the object's (it was replaced since it was read) is refused: 422, field immutable;
  a PUT with another uid fails its precondition: 409;
* an object may have at most one controller reference: a second claim is refused with 422.
"""

import pytest

SERVICES = "/api/v1/namespaces/default/services"
CONFIG_MAPS = "/api/v1/namespaces/default/configmaps"
SMP = "application/strategic-merge-patch+json"


def an_owner(api, name):
    """A live object to own things (the garbage collector removes what points at a missing owner)."""
    status, body = api.post(CONFIG_MAPS, {"metadata": {"name": name}})
    assert status == 201, body
    meta = body["metadata"]
    return {"apiVersion": "v1", "kind": "ConfigMap", "name": name, "uid": meta["uid"], "controller": True}


@pytest.fixture
def owners(api):
    return an_owner(api, "job"), an_owner(api, "other")


def an_orphan(api, name="tfo-worker-0"):
    status, body = api.post(SERVICES, {"metadata": {"name": name}, "spec": {"clusterIP": "None"}})
    assert status == 201, body
    return body


def test_a_strategic_claim_adds_and_a_delete_directive_removes_a_controller_reference(api, owners):
    job, _ = owners
    orphan = an_orphan(api)
    uid = orphan["metadata"]["uid"]
    status, body = api.patch(
        f"{SERVICES}/tfo-worker-0", {"metadata": {"uid": uid, "ownerReferences": [job]}}, content_type=SMP
    )
    assert status == 200, body
    assert body["metadata"]["ownerReferences"] == [job]
    release = {"metadata": {"uid": uid, "ownerReferences": [{"$patch": "delete", "uid": job["uid"]}]}}
    status, body = api.patch(f"{SERVICES}/tfo-worker-0", release, content_type=SMP)
    assert status == 200, body
    assert not body["metadata"].get("ownerReferences")


def test_a_claim_with_a_stale_uid_is_refused(api, owners):
    an_orphan(api)
    patch = {"metadata": {"uid": "uid-of-an-older-object", "ownerReferences": [owners[0]]}}
    status, body = api.patch(f"{SERVICES}/tfo-worker-0", patch, content_type=SMP)
    assert status == 422
    assert "field is immutable" in body["message"]
    status, body = api.get(f"{SERVICES}/tfo-worker-0")
    assert not body["metadata"].get("ownerReferences")


def test_a_put_with_another_uid_fails_its_precondition(api):
    orphan = an_orphan(api)
    orphan["metadata"]["uid"] = "uid-of-an-older-object"
    status, body = api.put(f"{SERVICES}/tfo-worker-0", orphan)
    assert status == 409
    assert "Precondition failed: UID in precondition" in body["message"]


def test_only_one_controller_reference(api, owners):
    job, other = owners
    orphan = an_orphan(api)
    uid = orphan["metadata"]["uid"]
    api.patch(
        f"{SERVICES}/tfo-worker-0", {"metadata": {"uid": uid, "ownerReferences": [other]}}, content_type=SMP
    )
    status, body = api.patch(
        f"{SERVICES}/tfo-worker-0", {"metadata": {"uid": uid, "ownerReferences": [job]}}, content_type=SMP
    )
    assert status == 422
    assert "Only one reference can have Controller set to true" in body["message"]
    status, body = api.post(
        SERVICES,
        {"metadata": {"name": "two", "ownerReferences": [job, other]}, "spec": {"clusterIP": "None"}},
    )
    assert status == 422
