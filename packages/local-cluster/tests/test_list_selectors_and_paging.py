"""List: labelSelector (equality, set-based, existence), fieldSelector (metadata.*, pod status.phase and
spec.nodeName, unsupported fields rejected), limit + continue paging."""

import pytest

CMS = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def labelled(api):
    for name, labels in [
        ("a", {"app": "x", "tier": "web"}),
        ("b", {"app": "y", "tier": "db"}),
        ("c", {"app": "x"}),
        ("d", {}),
    ]:
        assert api.post(CMS, {"metadata": {"name": name, "labels": labels}})[0] == 201
    return api


def names(api, **params):
    status, body = api.get(CMS, **params)
    assert status == 200, body
    return [o["metadata"]["name"] for o in body["items"]]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param("app=x", ["a", "c"], id="equality"),
        pytest.param("app==x", ["a", "c"], id="double-equals"),
        pytest.param("app!=x", ["b", "d"], id="inequality"),
        pytest.param("app in (x,y)", ["a", "b", "c"], id="in"),
        pytest.param("app notin (x)", ["b", "d"], id="notin"),
        pytest.param("tier", ["a", "b"], id="exists"),
        pytest.param("!tier", ["c", "d"], id="not-exists"),
        pytest.param("app=x,tier", ["a"], id="and"),
    ],
)
def test_label_selectors(labelled, selector, expected):
    assert names(labelled, labelSelector=selector) == expected


def test_malformed_label_selector_is_bad_request(api):
    status, _body = api.get(CMS, labelSelector="app=(x")
    assert status == 400


def test_field_selectors(labelled):
    assert names(labelled, fieldSelector="metadata.name=b") == ["b"]
    assert names(labelled, fieldSelector="metadata.name!=b") == ["a", "c", "d"]
    assert names(labelled, fieldSelector="metadata.namespace=default", labelSelector="app=y") == ["b"]
    status, body = labelled.get(CMS, fieldSelector="data.a=1")
    assert status == 400
    assert "field label not supported" in body["message"]


def test_pod_field_selectors(api, make_pod, wait):
    waits = make_pod("waits", ["true"])  # Pending on the node while its init container runs
    waits["spec"]["initContainers"] = [{"name": "init", "image": "local", "command": ["sleep", "60"]}]
    api.post("/api/v1/namespaces/default/pods", waits)
    wait(lambda: api.get("/api/v1/namespaces/default/pods/waits")[1]["spec"].get("nodeName"))
    _status, body = api.get("/api/v1/pods", fieldSelector="spec.nodeName=local-node,status.phase=Pending")
    assert [p["metadata"]["name"] for p in body["items"]] == ["waits"]
    _status, body = api.get("/api/v1/pods", fieldSelector="status.phase=Running")
    assert body["items"] == []


def test_limit_and_continue_page_through_everything(labelled):
    seen, token, pages = [], None, 0
    while True:
        params = {"limit": 3}
        if token:
            params["continue"] = token
        _status, body = labelled.get(CMS, **params)
        seen += [o["metadata"]["name"] for o in body["items"]]
        pages += 1
        token = body["metadata"].get("continue")
        if not token:
            break
        assert body["metadata"]["remainingItemCount"] >= 1
    assert seen == ["a", "b", "c", "d"] + [n for n in seen if n == "kube-root-ca.crt"] or sorted(seen) == seen
    assert pages == 2


def test_bad_continue_token_is_bad_request(api):
    assert api.get(CMS, limit=1, **{"continue": "garbage"})[0] == 400
