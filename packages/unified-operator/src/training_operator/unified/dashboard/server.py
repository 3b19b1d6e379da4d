"""The dashboard's web server: who may read it, which routes exist, starting and stopping it.

Read-only by construction: only GET routes exist, and every API call is made with the user's own kubeconfig
credentials, so the page shows exactly what `kubectl get` would show that user. Other users of the machine are
kept out the way Jupyter keeps them out: the server listens on 127.0.0.1 unless told otherwise, and every
request must carry a random token (from the printed link, then a cookie); without it the answer is 403.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import web

from training_operator.core import access
from training_operator.core.kube.client import ApiClient
from training_operator.unified.dashboard import hub, streams
from training_operator.unified.sdk import kinds

LOOPBACK = "127.0.0.1"
STATIC = Path(__file__).parent / "static"
#: event streams open at once at most (each job page holds two watches and each log one request)
MAX_STREAMS = 64
TOKEN_PARAM = "token"
#: what the browser may do with our pages: our own scripts and styles only, no frames, no outside requests
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
FORBIDDEN = (
    "403 Forbidden: this dashboard needs its access token. Open the link that "
    "`training-operator dashboard` (or `training-operator local up`) printed.\n"
)

TOKEN: web.AppKey[str] = web.AppKey("token", str)
STREAMS = web.AppKey[set[asyncio.Task[Any]]]("streams")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
T = TypeVar("T")


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cookie_name(request: web.Request) -> str:
    """Per port: browsers share cookies across the ports of one host, and two dashboards may run."""
    return f"training-operator-dashboard-{request.url.port}"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 without the token; a page opened with `?token=` keeps it in a cookie and drops it from the URL."""
    token = request.app[TOKEN]
    given = request.query.get(TOKEN_PARAM)
    header = request.headers.get("Authorization", "")
    offered = given or request.cookies.get(cookie_name(request)) or header.removeprefix("Bearer ")
    if not offered or not hmac.compare_digest(offered.encode(), token.encode()):
        return web.Response(status=403, text=FORBIDDEN)
    if given and request.method == "GET" and (request.path == "/" or request.path.startswith("/jobs/")):
        rest = {k: v for k, v in request.query.items() if k != TOKEN_PARAM}
        response = web.Response(status=302, headers={"Location": str(request.rel_url.with_query(rest))})
        response.set_cookie(cookie_name(request), token, httponly=True, samesite="Strict", path="/")
        return response
    return await handler(request)


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


def _page(file: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / file, headers={"Cache-Control": "no-store"})

    return page


def _bounded(handler: Handler) -> Handler:
    """At most MAX_STREAMS feeds at once (503 beyond); each is cancelled when the server stops."""

    async def bounded(request: web.Request) -> web.StreamResponse:
        running = request.app[STREAMS]
        if len(running) >= MAX_STREAMS:
            raise web.HTTPServiceUnavailable(text=f"more than {MAX_STREAMS} live views are open\n")
        task = asyncio.current_task()
        assert task is not None
        running.add(task)
        try:
            return await handler(request)
        finally:
            running.discard(task)

    return bounded


async def _stop_streams(app: web.Application) -> None:
    running = app[STREAMS]
    for task in list(running):
        task.cancel()


def build_app(*, client: ApiClient, jobs: hub.JobsHub, token: str) -> web.Application:
    """The whole site; GET routes only."""
    app = web.Application(middlewares=[guard])
    app[TOKEN] = token
    app[streams.CLIENT] = client
    app[streams.HUB] = jobs
    running: set[asyncio.Task[Any]] = set()
    app[STREAMS] = running
    app.on_response_prepare.append(_secure)
    app.on_shutdown.append(_stop_streams)
    app.router.add_get("/", _page("jobs.html"))
    app.router.add_get("/jobs/{kind}/{namespace}/{name}", _page("job.html"))
    app.router.add_get("/events/jobs", _bounded(streams.jobs_feed))
    app.router.add_get("/events/jobs/{kind}/{namespace}/{name}", _bounded(streams.job_feed))
    app.router.add_get("/events/logs/{namespace}/{pod}", _bounded(streams.log_feed))
    app.router.add_static("/static", STATIC)
    return app


@dataclass(frozen=True, slots=True)
class Dashboard:
    """A running dashboard: where it listens and the link that opens it."""

    host: str
    port: int
    token: str
    server: str

    @property
    def url(self) -> str:
        """The link to print: the jobs page with the token."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/?{TOKEN_PARAM}={quote(self.token)}"


@contextlib.asynccontextmanager
async def serving(
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    host: str = LOOPBACK,
    port: int = 0,
    namespace: str | None = None,
    token: str | None = None,
) -> AsyncIterator[Dashboard]:
    """Serve the dashboard for the cluster of `kubeconfig` until the block ends (port 0: any free port)."""
    credentials = access.load(kubeconfig, context=context)
    token = token or secrets.token_urlsafe(32)
    async with ApiClient(credentials) as client:
        jobs = hub.JobsHub(client, kinds.registry().values(), namespace=namespace)
        app = build_app(client=client, jobs=jobs, token=token)
        # a closed tab cancels its feed (and the watches behind it) at once
        runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await runner.setup()
        watching = asyncio.create_task(jobs.run())
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1]
            yield Dashboard(host, int(bound), token, credentials.server)
        finally:
            await runner.cleanup()
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)


async def alongside(
    work: Coroutine[Any, Any, T], *, stop: asyncio.Event, kubeconfig: str, announce: Callable[[str], object]
) -> T:
    """Run `work` (the operator, in `local up`) with the dashboard served next to it.

    The dashboard closes as soon as `stop` is set, while `work` is still winding down: kopf, stopping, cancels
    every task it did not start, which would cut the dashboard's open requests mid-stream."""
    running = asyncio.create_task(work)
    stopping = asyncio.create_task(stop.wait())
    try:
        async with serving(kubeconfig=kubeconfig) as dashboard:
            announce(dashboard.url)
            await asyncio.wait([running, stopping], return_when=asyncio.FIRST_COMPLETED)
        return await running
    finally:
        stopping.cancel()
        if not running.done():
            running.cancel()
        await asyncio.gather(running, stopping, return_exceptions=True)
