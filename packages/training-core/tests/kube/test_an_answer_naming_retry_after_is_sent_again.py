"""A 429 (or 5xx) that names a Retry-After is sent again after it, up to ten times, as client-go sends it:
a busy API server's answer, which must not fail a reconcile. Without the header, or with one that is not a
whole number of seconds, the answer stands; a server asking for longer than ten seconds waits ten."""

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.core.kube import retry
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.metrics import Metrics

BUSY = {"kind": "Status", "code": 429, "reason": "TooManyRequests", "message": "try again later"}


class Script:
    """Answers each request with the next (status, Retry-After[, HTML page]) of `answers` (a Status object
    without a page), then 201 with the body."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, str | None] | tuple[int, str | None, bytes]] = []
        self.seen: list[tuple[str, str, bytes]] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append((request.method, request.path, body))
        if not self.answers and request.query.get("watch") == "true":
            event = b'{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n'
            return web.Response(status=200, body=event, content_type="application/json")
        if not self.answers:
            return web.Response(status=201, body=body or b"{}", content_type="application/json")
        status, after, *page = self.answers.pop(0)
        headers = {"Retry-After": after} if after is not None else {}
        if page:
            return web.Response(status=status, body=page[0], content_type="text/html", headers=headers)
        return web.json_response({**BUSY, "code": status}, status=status, headers=headers)


@pytest.fixture
async def script() -> AsyncIterator[tuple[Script, str]]:
    script = Script()
    app = web.Application()
    app.router.add_route("*", "/api/v1/namespaces/ns/pods", script.handle)
    app.router.add_route("*", "/api/v1/namespaces/ns/pods/{name}", script.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield script, f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def client(server: str, metrics: Metrics | None = None) -> ApiClient:
    access = Credentials(server=server, namespace="ns", material=Material(), auth=Static(None, "anonymous"))
    return ApiClient(access, qps=0, observer=metrics)


async def test_a_busy_servers_429s_are_waited_out_and_the_same_create_goes_again(script):
    server, address = script
    server.answers = [(429, "0"), (429, "0")]
    metrics = Metrics()
    async with client(address, metrics) as api:
        created = await api.request("POST", "/api/v1/namespaces/ns/pods", body={"metadata": {"name": "p"}})
    assert created == {"metadata": {"name": "p"}}
    assert [body for _, _, body in server.seen] == [b'{"metadata":{"name":"p"}}'] * 3
    host = address.removeprefix("http://")
    by_code = "rest_client_requests_total"
    assert metrics.value(by_code, {"code": "429", "method": "POST", "host": host}) == 2  # each one counted
    assert metrics.value(by_code, {"code": "201", "method": "POST", "host": host}) == 1


async def test_a_5xx_naming_retry_after_is_sent_again_on_a_path_aiohttp_quotes(script):
    server, address = script
    server.answers = [(503, "0")]
    async with client(address) as api:
        await api.request("DELETE", "/api/v1/namespaces/ns/pods/a b")  # a space: aiohttp's path, not http1
    assert [(method, path) for method, path, _ in server.seen] == [
        ("DELETE", "/api/v1/namespaces/ns/pods/a b")
    ] * 2


async def test_a_watch_asked_to_come_back_later_opens_after_the_wait(script):
    server, address = script
    server.answers = [(429, "0"), (500, "0")]
    async with client(address) as api:
        events = [event async for event in api.watch("/api/v1/namespaces/ns/pods", {})]
    assert [event["type"] for event in events] == ["ADDED"]
    assert len(server.seen) == 3


async def test_a_watch_refused_without_retry_after_is_an_error_at_once(script):
    server, address = script
    server.answers = [(429, None)]
    async with client(address) as api:
        with pytest.raises(ApiError) as refused:
            _ = [event async for event in api.watch("/api/v1/namespaces/ns/pods", {})]
    assert refused.value.status == 429
    assert len(server.seen) == 1


async def test_a_load_balancers_page_in_place_of_a_status_is_waited_out_or_named(script):
    server, address = script
    page = b"<html><body>502 Bad Gateway</body></html>"
    server.answers = [(503, "0", page), (502, None, page)]
    async with client(address) as api:
        with pytest.raises(ApiError) as refused:
            await api.request("GET", "/api/v1/namespaces/ns/pods")
    assert len(server.seen) == 2  # the 503 naming Retry-After was sent again; the 502 stands
    assert refused.value.status == 502
    assert "502 Bad Gateway" in refused.value.message


@pytest.mark.parametrize("after", [None, "", "soon", "Wed, 21 Oct 2026 07:28:00 GMT"])
async def test_without_a_retry_after_in_seconds_the_answer_stands(script, after):
    server, address = script
    server.answers = [(429, after)]
    async with client(address) as api:
        with pytest.raises(ApiError) as refused:
            await api.request("POST", "/api/v1/namespaces/ns/pods", body={})
    assert refused.value.status == 429
    assert len(server.seen) == 1


async def test_ten_retries_and_no_more(script):
    server, address = script
    server.answers = [(429, "0")] * 20
    async with client(address) as api:
        with pytest.raises(ApiError) as refused:
            await api.request("GET", "/api/v1/namespaces/ns/pods")
    assert refused.value.reason == "TooManyRequests"
    assert len(server.seen) == 1 + retry.MAX_RETRIES == 11


@pytest.mark.parametrize(
    ("status", "value", "wait"),
    [
        (429, "1", 1.0),
        (429, " 3 ", 3.0),
        (500, "2", 2.0),
        (503, "0", 0.0),
        (429, "100000", retry.MAX_WAIT),  # a server's word, but bounded
        (404, "1", None),  # only 429 and 5xx ask to be retried
        (409, "1", None),
        (429, "-1", None),
        (429, "1.5", None),  # whole seconds only, as client-go reads it
    ],
)
def test_which_answers_are_sent_again_and_after_how_long(status, value, wait):
    assert retry.retry_after(status, value) == wait
