"""The API client reports every request to the operator's metrics, as client-go does: by answer code and
method (`rest_client_requests_total`), with its latency, and by Kubernetes verb, resource and outcome
(`training_operator_api_requests_total`), which is what the benchmarks count the operator's writes with."""

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.core.kube import resources
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.http1 import CannotConnect
from training_operator.core.metrics import Metrics


@pytest.fixture
async def server():
    """Creates answer 201 once and 409 AlreadyExists after; a GET of one pod is 404; lists and watches
    answer with one object."""
    created: set[str] = set()

    async def pods(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            body = await request.json()
            name = body["metadata"]["name"]
            if name in created:
                status = {"kind": "Status", "reason": "AlreadyExists", "code": 409, "message": "exists"}
                return web.json_response(status, status=409)
            created.add(name)
            return web.json_response({**body, "metadata": {**body["metadata"], "uid": "u1"}}, status=201)
        if request.query.get("watch") == "true":
            response = web.StreamResponse()
            await response.prepare(request)
            await response.write(b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD')
            await response.write(b'IFIED","object":{"metadata":{"name":"a","resourceVersion":"2"}}}\n')
            return response
        return web.json_response(
            {"metadata": {"resourceVersion": "1"}, "items": [{"metadata": {"name": "a"}}]}
        )

    async def missing(_: web.Request) -> web.Response:
        return web.json_response({"kind": "Status", "reason": "NotFound", "code": 404}, status=404)

    app = web.Application()
    app.router.add_route("*", "/api/v1/namespaces/ns/pods", pods)
    app.router.add_get("/api/v1/namespaces/ns/pods/gone", missing)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_every_request_is_counted_by_code_and_by_verb_resource_and_outcome(server):
    metrics = Metrics()
    access = Credentials(server=server, namespace="ns", material=Material(), auth=Static(None, "anonymous"))
    pod = {"metadata": {"name": "p"}}
    async with ApiClient(access, qps=0, observer=metrics) as client:
        await client.request("POST", "/api/v1/namespaces/ns/pods", body=pod)
        with pytest.raises(ApiError):
            await client.request("POST", "/api/v1/namespaces/ns/pods", body=pod)
        with pytest.raises(ApiError):
            await client.request("GET", "/api/v1/namespaces/ns/pods/gone")
        await client.request("GET", "/api/v1/namespaces/ns/pods")
        events = [e async for e in client.watch("/api/v1/namespaces/ns/pods", {})]
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]  # an event split across two chunks
    host = server.removeprefix("http://")

    def ours(verb: str, resource: str, outcome: str) -> float:
        labels = {"verb": verb, "resource": resource, "outcome": outcome}
        return metrics.value("training_operator_api_requests_total", labels)

    assert ours("create", "pods", "success") == 1
    assert ours("create", "pods", "already_exists") == 1
    assert ours("get", "pods", "not_found") == 1
    assert ours("list", "pods", "success") == 1
    assert ours("watch", "pods", "success") == 1
    by_code = "rest_client_requests_total"
    assert metrics.value(by_code, {"code": "201", "method": "POST", "host": host}) == 1
    assert metrics.value(by_code, {"code": "409", "method": "POST", "host": host}) == 1
    assert metrics.value(by_code, {"code": "200", "method": "GET", "host": host}) == 2  # list and watch
    latency = "rest_client_request_duration_seconds_count"
    assert metrics.value(latency, {"verb": "POST", "host": host}) == 2


async def test_a_request_that_gets_no_answer_is_counted_as_an_error():
    metrics = Metrics()
    with socket.socket() as sock:  # a port nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    access = Credentials(
        server=f"http://127.0.0.1:{port}", namespace="ns", material=Material(), auth=Static(None, "anonymous")
    )
    async with ApiClient(access, qps=0, observer=metrics) as client:
        with pytest.raises(CannotConnect) as refused:
            await asyncio.wait_for(client.request("DELETE", "/api/v1/namespaces/ns/pods/p"), 10)
    assert isinstance(refused.value, OSError)  # what callers catch, and aiohttp's own family
    assert isinstance(refused.value, aiohttp.ClientError)
    labels = {"verb": "delete", "resource": "pods", "outcome": "error"}
    assert metrics.value("training_operator_api_requests_total", labels) == 1
    assert (
        metrics.value(
            "rest_client_requests_total", {"code": "<error>", "method": "DELETE", "host": f"127.0.0.1:{port}"}
        )
        == 1
    )


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/api/v1/namespaces/a/pods", ("list", "pods")),
        ("GET", "/api/v1/pods", ("list", "pods")),
        ("WATCH", "/api/v1/namespaces/a/pods", ("watch", "pods")),
        ("GET", "/api/v1/namespaces/a/pods/p", ("get", "pods")),
        ("GET", "/api/v1/namespaces/a", ("get", "namespaces")),
        ("PATCH", "/apis/kubeflow.org/v1/namespaces/a/pytorchjobs/j/status", ("patch", "pytorchjobs/status")),
        ("POST", "/api/v1/namespaces/a/events", ("create", "events")),
        ("PUT", "/apis/coordination.k8s.io/v1/namespaces/a/leases/l", ("update", "leases")),
        ("DELETE", "/api/v1/namespaces/a/pods/p", ("delete", "pods")),
        ("DELETE", "/api/v1/namespaces/a/pods", ("deletecollection", "pods")),
        (
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            ("create", "selfsubjectaccessreviews"),
        ),
        ("GET", "/version", ("get", "/version")),
        ("GET", "/apis", ("get", "/apis")),
    ],
)
def test_requests_are_named_as_the_api_server_names_them(method, path, expected):
    assert resources.request_target(method, path) == expected
