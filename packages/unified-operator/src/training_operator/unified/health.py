"""The two small HTTP listeners of the process: `/healthz` + `/readyz` and Prometheus `/metrics`.

Served with aiohttp on the operator's loop (no threads), on the Go flags' addresses, so the Deployment's
probes and the Service's scrape annotations are upstream's (sdk-and-ops.md C.4, C.9).
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from training_operator.unified.settings import bind_address


def probes_app(*, ready: Callable[[], str | None]) -> web.Application:
    """`/healthz` is 200 while the loop runs; `/readyz` is 503 with the reason until `ready()` is None."""

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(_: web.Request) -> web.Response:
        reason = ready()
        if reason is None:
            return web.Response(text="ok")
        return web.Response(status=503, text=reason)

    app = web.Application()
    app.add_routes([web.get("/healthz", healthz), web.get("/readyz", readyz)])
    return app


def metrics_app(registry: CollectorRegistry) -> web.Application:
    """`/metrics` in the Prometheus text format."""

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.add_routes([web.get("/metrics", metrics)])
    return app


async def serve(app: web.Application, address: str) -> web.AppRunner:
    """Start listening; the caller cleans the runner up. A port of 0 picks a free one (tests)."""
    host, port = bind_address(address)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port a runner listens on (after `serve` with port 0)."""
    for site in runner.sites:
        server = getattr(site, "_server", None)
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
    raise RuntimeError("not listening")
