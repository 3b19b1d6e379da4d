"""Errors: 404 NotFound, 409 AlreadyExists, 409 Conflict, 422 Invalid with causes, 400, 405, 415 — every one a
`Status` with reason and code, as kubectl and the clients expect."""

import pytest

CMS = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"


def test_not_found(api):
    status, body = api.get(f"{CMS}/missing")
    assert status == 404
    assert body["kind"] == "Status"
    assert body["reason"] == "NotFound"
    assert body["code"] == 404
    assert body["message"] == 'configmaps "missing" not found'
    assert body["details"] == {"name": "missing", "group": "", "kind": "configmaps"}


def test_unknown_resource_is_not_found(api):
    assert api.get("/api/v1/namespaces/default/gizmos")[0] == 404
    assert api.get("/apis/nope.io/v1/things")[0] == 404


def test_already_exists(api):
    assert api.post(CMS, {"metadata": {"name": "dup"}})[0] == 201
    status, body = api.post(CMS, {"metadata": {"name": "dup"}})
    assert status == 409
    assert body["reason"] == "AlreadyExists"


def test_update_with_stale_resource_version_conflicts(api):
    _status, first = api.post(CMS, {"metadata": {"name": "c"}, "data": {"a": "1"}})
    api.put(f"{CMS}/c", {**first, "data": {"a": "2"}})
    status, body = api.put(f"{CMS}/c", {**first, "data": {"a": "3"}})
    assert status == 409
    assert body["reason"] == "Conflict"
    assert "the object has been modified" in body["message"]
    status, body = api.patch(
        f"{CMS}/c", {"metadata": {"resourceVersion": first["metadata"]["resourceVersion"]}}
    )
    assert status == 409


@pytest.mark.parametrize(
    ("pod", "field"),
    [
        pytest.param(
            {"metadata": {"name": "Bad_Name"}, "spec": {"containers": [{"name": "a", "image": "x"}]}},
            "metadata.name",
            id="invalid-dns-name",
        ),
        pytest.param(
            {"metadata": {"name": "x" * 254}, "spec": {"containers": [{"name": "a", "image": "x"}]}},
            "metadata.name",
            id="name-too-long",
        ),
        pytest.param(
            {"metadata": {"name": "p"}, "spec": {"containers": []}}, "spec.containers", id="no-containers"
        ),
        pytest.param(
            {
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "a", "image": "x"}, {"name": "a", "image": "x"}]},
            },
            "spec.containers[1].name",
            id="duplicate-container",
        ),
        pytest.param(
            {
                "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "a", "image": "x", "ports": [{"containerPort": 70000}]}]},
            },
            "spec.containers[0].ports[0].containerPort",
            id="invalid-port",
        ),
        pytest.param(
            {
                "metadata": {"name": "p"},
                "spec": {"restartPolicy": "Sometimes", "containers": [{"name": "a", "image": "x"}]},
            },
            "spec.restartPolicy",
            id="restart-policy",
        ),
    ],
)
def test_invalid_pods_are_rejected_with_causes(api, pod, field):
    status, body = api.post(PODS, pod)
    assert status == 422, body
    assert body["reason"] == "Invalid"
    assert field in [c["field"] for c in body["details"]["causes"]]


def test_invalid_service_and_job(api):
    status, body = api.post(
        "/api/v1/namespaces/default/services",
        {"metadata": {"name": "1svc"}, "spec": {"ports": [{"port": 80}]}},
    )
    assert status == 422
    assert body["details"]["causes"][0]["field"] == "metadata.name"
    status, body = api.post(
        "/api/v1/namespaces/default/services", {"metadata": {"name": "svc"}, "spec": {"ports": [{"port": 0}]}}
    )
    assert status == 422
    job = {
        "metadata": {"name": "j"},
        "spec": {
            "template": {"spec": {"restartPolicy": "Always", "containers": [{"name": "c", "image": "x"}]}}
        },
    }
    status, body = api.post("/apis/batch/v1/namespaces/default/jobs", job)
    assert status == 422
    assert "spec.template.spec.restartPolicy" in [c["field"] for c in body["details"]["causes"]]


def test_invalid_configmap_key_and_missing_name(api):
    assert api.post(CMS, {"metadata": {"name": "k"}, "data": {"bad key": "v"}})[0] == 422
    status, body = api.post(CMS, {"metadata": {}})
    assert status == 422
    assert body["details"]["causes"][0]["reason"] == "FieldValueRequired"


def test_bad_request_and_method_not_allowed(api):
    status, body = api.post(CMS, "{not json")
    assert status == 400
    assert body["reason"] == "BadRequest"
    status, body = api.post(f"{CMS}/named", {"metadata": {"name": "named"}})
    assert status == 405
    assert body["reason"] == "MethodNotAllowed"
    status, body = api.post(CMS, {"metadata": {"name": "x", "namespace": "other"}})
    assert status == 400


def test_strategic_merge_patch_on_custom_resource_is_unsupported(api):
    crd = {
        "metadata": {"name": "things.ex.io"},
        "spec": {
            "group": "ex.io",
            "scope": "Namespaced",
            "names": {"plural": "things", "singular": "thing", "kind": "Thing"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    api.post("/apis/ex.io/v1/namespaces/default/things", {"metadata": {"name": "t"}})
    status, body = api.patch(
        "/apis/ex.io/v1/namespaces/default/things/t",
        {"spec": {}},
        content_type="application/strategic-merge-patch+json",
    )
    assert status == 415
    assert body["reason"] == "UnsupportedMediaType"
