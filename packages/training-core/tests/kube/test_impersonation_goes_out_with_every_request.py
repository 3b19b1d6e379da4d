"""A kubeconfig user acting as another (`as`, `as-groups`, ...) sends the same `Impersonate-*` headers on
every way the client reaches the server: requests (the lean HTTP/1.1 client), watches, and streams read
through the session directly (logs); a repeated group or extra is a repeated header, as client-go sends it,
never one comma-joined value (the API server would read that as one group named "a,b")."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.core.kube.client import ApiClient

IMPERSONATION = (
    ("Impersonate-User", "alice"),
    ("Impersonate-Group", "team-a"),
    ("Impersonate-Group", "team-b"),
    ("Impersonate-Extra-scopes", "read"),
    ("Impersonate-Extra-scopes", "write"),
)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, list[str]]]]]:
    """Answers every path; records, per request, each Impersonate-* header's values in arrival order."""
    seen: list[dict[str, list[str]]] = []

    async def anything(request: web.Request) -> web.StreamResponse:
        names = dict.fromkeys(n for n in request.headers if n.lower().startswith("impersonate-"))
        seen.append({name: request.headers.getall(name) for name in names})
        if request.query.get("watch") == "true":
            response = web.StreamResponse()
            await response.prepare(request)
            await response.write(b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n')
            return response
        return web.json_response({"metadata": {"resourceVersion": "1"}, "items": []})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    await runner.cleanup()


async def test_requests_watches_and_streams_carry_every_impersonate_header(server):
    url, seen = server
    access = Credentials(
        server=url,
        namespace="ns",
        material=Material(),
        auth=Static("Bearer admin", "admin"),
        impersonation=IMPERSONATION,
    )
    async with ApiClient(access, qps=0) as client:
        assert client.http1 is not None  # the request below goes through the lean client
        await client.request("GET", "/api/v1/namespaces/ns/pods")
        events = [e async for e in client.watch("/api/v1/namespaces/ns/pods", {"timeoutSeconds": "5"})]
        assert client.session is not None
        async with client.session.get("/api/v1/namespaces/ns/pods/a/log", **client.stream_options()) as r:
            assert r.status == 200
    assert len(events) == 1
    expected = {
        "Impersonate-User": ["alice"],
        "Impersonate-Group": ["team-a", "team-b"],
        "Impersonate-Extra-scopes": ["read", "write"],
    }
    assert seen == [expected, expected, expected]


async def test_without_impersonation_no_impersonate_header_is_sent(server):
    url, seen = server
    access = Credentials(server=url, namespace="ns", material=Material(), auth=Static("Bearer t", "t"))
    async with ApiClient(access, qps=0) as client:
        await client.request("GET", "/api/v1/namespaces/ns/pods")
        _ = [e async for e in client.watch("/api/v1/namespaces/ns/pods", {"timeoutSeconds": "5"})]
    assert seen == [{}, {}]
