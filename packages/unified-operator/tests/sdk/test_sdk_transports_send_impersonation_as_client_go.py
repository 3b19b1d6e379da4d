"""Both SDK transports (urllib3 for the blocking client and the CLI, aiohttp for the async client) send a
kubeconfig user's `Impersonate-*` headers with every request, a repeated group or extra as a repeated
header (client-go's way; a comma-joined value would be read as one group)."""

import asyncio
import threading
from collections.abc import Iterator

import pytest
from aiohttp import web

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.unified.sdk import calls
from training_operator.unified.sdk.transport import AsyncApi, SyncApi

IMPERSONATION = (
    ("Impersonate-User", "alice"),
    ("Impersonate-Group", "team-a"),
    ("Impersonate-Group", "team-b"),
)
EXPECTED = {"Impersonate-User": ["alice"], "Impersonate-Group": ["team-a", "team-b"]}


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """A recording server on its own thread (the blocking transport cannot share the test's loop)."""
    seen: list[dict[str, list[str]]] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    address: list[str] = []

    async def anything(request: web.Request) -> web.Response:
        names = dict.fromkeys(n for n in request.headers if n.lower().startswith("impersonate-"))
        seen.append({name: request.headers.getall(name) for name in names})
        return web.json_response({"kind": "Namespace", "metadata": {"name": "default"}})

    async def start() -> web.AppRunner:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", anything)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        address.append(f"http://127.0.0.1:{runner.addresses[0][1]}")
        return runner

    def serve() -> None:
        asyncio.set_event_loop(loop)
        runner = loop.run_until_complete(start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield address[0], seen
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


def credentials(url: str) -> Credentials:
    return Credentials(
        server=url,
        namespace="default",
        material=Material(),
        auth=Static("Bearer admin", "admin"),
        impersonation=IMPERSONATION,
    )


CALL = calls.Call("GET", "/api/v1/namespaces/default", "namespace default")


def test_the_blocking_transport_repeats_each_impersonated_group(server):
    url, seen = server
    api = SyncApi(credentials(url))
    try:
        assert api.request(CALL)["metadata"]["name"] == "default"
    finally:
        api.close()
    assert seen == [EXPECTED]


def test_the_async_transport_repeats_each_impersonated_group(server):
    url, seen = server

    async def go() -> None:
        api = AsyncApi(credentials(url))
        try:
            await api.request(CALL)
        finally:
            await api.close()

    asyncio.run(go())
    assert seen == [EXPECTED]
