"""A watch stream that stays open but silent past the server's own timeoutSeconds (a stuck proxy, a hung
server) is given up by the client, and the child watch resumes from the last version it saw, so later
changes still reach the index."""

import asyncio
import contextlib

import pytest
from aiohttp import web

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.core.framework import ChildResource
from training_operator.core.kube import client as client_module
from training_operator.core.kube import watch
from training_operator.core.kube.client import ApiClient
from training_operator.core.kube.index import Index
from training_operator.core.kube.resources import CHILDREN
from training_operator.core.testing.demo_kind import DemoFramework


@pytest.fixture
async def stalling_server():
    """Lists nothing; the first watch opens and then never speaks; the next one ends at once."""
    watches: list[dict[str, str]] = []
    release = asyncio.Event()
    resumed = asyncio.Event()

    async def pods(request: web.Request) -> web.StreamResponse:
        if request.query.get("watch") != "true":
            return web.json_response({"metadata": {"resourceVersion": "5"}, "items": []})
        watches.append(dict(request.query))
        if len(watches) == 2:
            resumed.set()
        response = web.StreamResponse()
        await response.prepare(request)
        if len(watches) == 1:
            await release.wait()
        return response

    app = web.Application()
    app.router.add_get("/api/v1/pods", pods)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", watches, resumed
    release.set()
    await runner.cleanup()


async def test_a_silent_stream_is_left_and_the_watch_resumes(stalling_server, monkeypatch):
    url, watches, resumed = stalling_server
    monkeypatch.setattr(client_module, "WATCH_SILENCE_GRACE", 0.5)
    monkeypatch.setattr(watch, "WATCH_TIMEOUT_SECONDS", 0)
    monkeypatch.setattr(watch, "RETRY_FIRST", 0.0)
    async with ApiClient(
        Credentials(server=url, namespace="default", material=Material(), auth=Static(None, "anonymous"))
    ) as client:
        task = asyncio.create_task(
            watch.watch_children(
                client,
                CHILDREN[ChildResource.POD],
                index=Index([DemoFramework.kind]),
                selector=None,
                namespace=None,
                notify=lambda keys: None,
            )
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(resumed.wait(), 20)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(watches) >= 2, "the stalled stream was never abandoned"
    assert watches[1]["resourceVersion"] == "5"  # resumed, not relisted from scratch
