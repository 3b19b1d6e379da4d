"""Discovery: /version, /api, /apis and per-version resource lists (verbs, shortNames, categories,
subresources), CRD-backed resources appearing and disappearing, and authentication of every endpoint."""

import requests


def crd(group: str = "example.com", plural: str = "widgets", kind: str = "Widget") -> dict:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": kind.lower(),
                "kind": kind,
                "shortNames": ["wd"],
                "categories": ["all"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                    "subresources": {"status": {}},
                }
            ],
        },
    }


def test_version_and_group_lists(api):
    status, version = api.get("/version")
    assert status == 200
    assert version["major"] == "1"
    status, core = api.get("/api")
    assert core["versions"] == ["v1"]
    status, groups = api.get("/apis")
    names = {g["name"] for g in groups["groups"]}
    assert {
        "batch",
        "coordination.k8s.io",
        "apiextensions.k8s.io",
        "rbac.authorization.k8s.io",
        "events.k8s.io",
        "autoscaling",
    } <= names
    status, batch = api.get("/apis/batch")
    assert status == 200
    assert batch["preferredVersion"]["groupVersion"] == "batch/v1"


def test_core_resource_list_has_subresources_and_short_names(api):
    _status, body = api.get("/api/v1")
    by_name = {r["name"]: r for r in body["resources"]}
    assert by_name["pods"]["namespaced"] is True
    assert by_name["pods"]["shortNames"] == ["po"]
    assert "all" in by_name["pods"]["categories"]
    assert set(by_name["pods"]["verbs"]) >= {
        "get",
        "list",
        "watch",
        "create",
        "update",
        "patch",
        "delete",
        "deletecollection",
    }
    assert by_name["pods/log"]["verbs"] == ["get"]
    assert "pods/status" in by_name
    assert by_name["namespaces"]["namespaced"] is False


def test_crd_resources_appear_and_disappear(api, wait):
    assert api.get("/apis/example.com/v1")[0] == 404
    status, _ = api.post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd())
    assert status == 201
    _status, body = api.get("/apis/example.com/v1")
    names = {r["name"]: r for r in body["resources"]}
    assert names["widgets"]["kind"] == "Widget"
    assert names["widgets"]["shortNames"] == ["wd"]
    assert "widgets/status" in names
    status, stored = api.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    assert {c["type"]: c["status"] for c in stored["status"]["conditions"]}["Established"] == "True"
    assert api.post("/apis/example.com/v1/namespaces/default/widgets", {"metadata": {"name": "w"}})[0] == 201
    assert api.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")[0] == 200
    assert api.get("/apis/example.com/v1")[0] == 404
    assert api.get("/apis/example.com/v1/namespaces/default/widgets/w")[0] == 404


def test_requests_without_a_token_are_anonymous_and_wrong_tokens_unauthorized(cluster):
    # as a real server with anonymous auth on: no token is system:anonymous, whom RBAC allows nothing
    response = requests.get(cluster.url + "/api/v1/pods", verify=str(cluster.ca_path), timeout=10)
    assert response.status_code == 403
    assert response.json()["reason"] == "Forbidden"
    assert response.json()["message"] == (
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" '
        "at the cluster scope"
    )
    discovery = requests.get(cluster.url + "/apis", verify=str(cluster.ca_path), timeout=10)
    assert discovery.json()["message"] == 'forbidden: User "system:anonymous" cannot get path "/apis"'
    wrong = requests.get(
        cluster.url + "/api/v1/pods",
        verify=str(cluster.ca_path),
        timeout=10,
        headers={"Authorization": "Bearer nope"},
    )
    assert wrong.status_code == 401
    assert wrong.json()["reason"] == "Unauthorized"


def test_official_client_reads_discovery(kube):
    import kubernetes

    versions = kubernetes.client.CoreApi(kube).get_api_versions()
    assert versions.versions == ["v1"]
    names = [n.metadata.name for n in kubernetes.client.CoreV1Api(kube).list_namespace().items]
    assert {"default", "kube-system"} <= set(names)
