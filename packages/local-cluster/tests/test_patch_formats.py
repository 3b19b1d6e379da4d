"""Patch: JSON merge patch, JSON patch, strategic merge patch with the merge keys of built-in types
(containers/env/ports/volumes/volumeMounts by name or key, `$patch: delete`, finalizers as a set)."""

PODS = "/api/v1/namespaces/default/pods"
SMP = "application/strategic-merge-patch+json"


def a_pod_with_lists(api):
    pod = {
        "metadata": {"name": "p", "finalizers": ["a/one"]},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": "x",
                    "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                    "ports": [{"containerPort": 80}],
                    "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                },
                {"name": "side", "image": "y"},
            ],
            "volumes": [{"name": "v", "emptyDir": {}}],
        },
    }
    status, body = api.post(PODS, pod)
    assert status == 201, body
    return body


def test_merge_patch_replaces_lists_and_deletes_with_null(api):
    a_pod_with_lists(api)
    status, body = api.patch(f"{PODS}/p", {"metadata": {"labels": {"a": "1"}, "finalizers": None}})
    assert status == 200
    assert body["metadata"]["labels"] == {"a": "1"}
    assert "finalizers" not in body["metadata"]


def test_json_patch_operations(api):
    a_pod_with_lists(api)
    ops = [
        {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
        {"op": "replace", "path": "/spec/containers/0/image", "value": "z"},
        {"op": "test", "path": "/spec/containers/1/name", "value": "side"},
        {"op": "remove", "path": "/metadata/finalizers/0"},
    ]
    status, body = api.patch(f"{PODS}/p", ops, content_type="application/json-patch+json")
    assert status == 200, body
    assert body["metadata"]["labels"] == {"x": "y"}
    assert body["spec"]["containers"][0]["image"] == "z"
    status, body = api.patch(
        f"{PODS}/p",
        [{"op": "test", "path": "/spec/containers/1/name", "value": "nope"}],
        content_type="application/json-patch+json",
    )
    assert status == 422


def test_strategic_merge_patch_merges_by_key(api):
    a_pod_with_lists(api)
    patch = {
        "metadata": {"finalizers": ["a/two"]},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "env": [{"name": "B", "value": "changed"}, {"name": "C", "value": "3"}],
                    "ports": [{"containerPort": 81}],
                    "volumeMounts": [{"name": "w", "mountPath": "/w"}],
                },
                {"name": "side", "$patch": "delete"},
            ]
        },
    }
    status, body = api.patch(f"{PODS}/p", patch, content_type=SMP)
    assert status == 200, body
    containers = body["spec"]["containers"]
    assert [c["name"] for c in containers] == ["main"]
    env = {e["name"]: e["value"] for e in containers[0]["env"]}
    assert env == {"A": "1", "B": "changed", "C": "3"}
    assert [p["containerPort"] for p in containers[0]["ports"]] == [80, 81]
    assert [m["mountPath"] for m in containers[0]["volumeMounts"]] == ["/v", "/w"]
    assert body["metadata"]["finalizers"] == ["a/one", "a/two"]


def test_strategic_merge_patch_on_service_ports_by_port(api):
    api.post(
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": "s"},
            "spec": {
                "selector": {"a": "b"},
                "ports": [{"name": "http", "port": 80}, {"name": "grpc", "port": 90}],
            },
        },
    )
    status, body = api.patch(
        "/api/v1/namespaces/default/services/s",
        {"spec": {"ports": [{"port": 90, "targetPort": 9090}]}},
        content_type=SMP,
    )
    assert status == 200
    ports = {p["port"]: p for p in body["spec"]["ports"]}
    assert set(ports) == {80, 90}
    assert ports[90]["targetPort"] == 9090


def test_official_client_patches(kube, api):
    import kubernetes

    a_pod_with_lists(api)
    core = kubernetes.client.CoreV1Api(kube)
    patched = core.patch_namespaced_pod("p", "default", {"metadata": {"annotations": {"k": "v"}}})
    assert patched.metadata.annotations == {"k": "v"}
