"""The server's front routes as a real API server does: discovery, OpenAPI and health by path, resources by
their path shapes, an unknown path a 404 `Status`, a known path with the wrong method a 405 `Status`, HEAD
as GET, and a body beyond the limit refused before it is read whole."""

import pytest
import requests


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api", "APIVersions"),
        ("/api/", "APIVersions"),
        ("/apis", "APIGroupList"),
        ("/apis/", "APIGroupList"),
        ("/apis/batch", "APIGroup"),
        ("/api/v1", "APIResourceList"),
        ("/apis/batch/v1", "APIResourceList"),
    ],
)
def test_discovery_paths(api, path, kind):
    status, body = api.get(path)
    assert status == 200
    assert body["kind"] == kind


def test_version_health_and_openapi(api):
    assert api.get("/version")[1]["major"] == "1"
    assert api.get("/healthz") == (200, "ok")
    assert "paths" in api.get("/openapi/v3")[1]
    assert api.get("/openapi/v3/api/v1")[0] == 200
    assert api.get("/openapi/v3/apis/batch/v1")[0] == 200
    assert api.get("/openapi/v2")[0] == 404
    assert api.get("/openapi/v3/apis/nope.io/v1")[0] == 404


def test_head_is_answered_as_get_without_a_body(api):
    response = api.session.head(api.url + "/healthz", verify=api.ca, timeout=30)
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    "path", ["/", "/nope", "/apis/nope.io", "/api/v9", "/apis/batch/v9", "/openapi/v3/x", "/debug/nothing"]
)
def test_unknown_paths_are_not_found_statuses(api, path):
    status, body = api.get(path)
    assert status == 404
    assert body["kind"] == "Status"
    assert body["reason"] == "NotFound"
    assert body["message"] == "the server could not find the requested resource"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/version"),
        ("PUT", "/debug/faults"),
        ("GET", "/debug/tokens"),
        ("POST", "/openapi/v3/api/v1"),
    ],
)
def test_a_known_path_with_another_method_is_not_allowed(api, method, path):
    status, body = api.request(method, path, {})
    assert status == 405
    assert body["reason"] == "MethodNotAllowed"


def test_writes_to_discovery_paths_reach_the_resource_handler(api):
    status, body = api.post("/api/v1", {})  # no such resource: the resource path's own 404, not a 405
    assert status == 404
    assert body["kind"] == "Status"


def test_a_body_beyond_64_mib_is_refused(api):
    response = requests.post(
        api.url + "/api/v1/namespaces/default/configmaps",
        data=b" " * (64 * 1024 * 1024 + 1),
        headers={"Authorization": api.session.headers["Authorization"], "Content-Type": "application/json"},
        verify=api.ca,
        timeout=60,
    )
    assert response.status_code == 413
