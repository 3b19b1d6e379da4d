"""Hook points for later benchmarks and fault tests: per verb/resource request counters, failing the Nth
write with 409/429/500, answering the next watch with 410, cutting open watches."""

import threading

CMS = "/api/v1/namespaces/default/configmaps"


def test_request_counters(api):
    api.request("DELETE", "/debug/requests")
    api.post(CMS, {"metadata": {"name": "a"}})
    api.get(CMS)
    api.get(f"{CMS}/a")
    _status, body = api.get("/debug/requests")
    assert body["requests"] == {"create configmaps": 1, "list configmaps": 1, "get configmaps": 1}


def test_nth_write_fails_with_the_chosen_code(api):
    status, _rule = api.post(
        "/debug/faults", {"code": 500, "resource": "configmaps", "nth": 2, "verbs": ["create"]}
    )
    assert status == 201
    assert api.post(CMS, {"metadata": {"name": "one"}})[0] == 201
    status, body = api.post(CMS, {"metadata": {"name": "two"}})
    assert status == 500
    assert body["reason"] == "InternalError"
    assert api.get(f"{CMS}/two")[0] == 404
    assert api.post(CMS, {"metadata": {"name": "two"}})[0] == 201
    api.request("DELETE", "/debug/faults")
    api.post("/debug/faults", {"code": 429, "times": 2})
    status, body = api.post(CMS, {"metadata": {"name": "three"}})
    assert status == 429
    assert body["reason"] == "TooManyRequests"
    assert api.post(CMS, {"metadata": {"name": "three"}})[0] == 429
    assert api.post(CMS, {"metadata": {"name": "three"}})[0] == 201
    api.post("/debug/faults", {"code": 409, "verbs": ["patch"]})
    assert api.patch(f"{CMS}/three", {"data": {"a": "b"}})[1]["reason"] == "Conflict"


def test_expired_and_cut_watches(api, wait):
    api.post("/debug/faults", {"expireWatches": 1})
    events = api.watch(CMS, until=lambda e: len(e) >= 1)
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410
    result: list = []
    thread = threading.Thread(
        target=lambda: result.append(
            api.watch(CMS, resourceVersion=api.get(CMS)[1]["metadata"]["resourceVersion"], timeoutSeconds=30)
        )
    )
    thread.start()
    wait(lambda: api.get("/debug/requests")[1]["openWatches"] >= 1, message="watch open")
    status, body = api.post("/debug/watches/cut", {})
    assert status == 200
    assert body["cut"] >= 1
    thread.join(timeout=10)
    assert result == [[]]


def test_python_api_hook_points(cluster):
    assert cluster.server is not None
    faults = cluster.server.faults
    rule = faults.add(code=500, resource="pods", nth=1)
    assert rule.to_dict()["code"] == 500
    faults.clear()
    assert faults.rules == []
