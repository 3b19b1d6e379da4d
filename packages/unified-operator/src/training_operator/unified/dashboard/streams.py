"""The pages' live feeds as Server-Sent Events: the jobs table, one job's page, one container's log.

SSE rather than WebSocket: the flow is one-way, the browser's EventSource reconnects by itself, and it is
plain HTTP that the token check and any proxy understand. Each feed first sends everything the page needs
(`snapshot`, `state`, `reset`), then only when a watch says something changed; a comment line every
KEEPALIVE seconds keeps idle connections alive through proxies (it carries no data: the page never asks).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import aiohttp
from aiohttp import web

from training_operator.core.kube.client import ApiClient
from training_operator.unified.dashboard import feeds, hub, pods, views
from training_operator.unified.sdk import errors, kinds

KEEPALIVE = 25.0
#: lines a followed log starts with at most, and the most a log request may ask for
LOG_TAIL, MAX_LOG_TAIL = 2000, 10000
#: bytes of log lines sent in one event at most
LOG_BATCH = 64 * 1024

#: Kubernetes object names (DNS-1123 subdomains): anything else in a URL names nothing, and is not sent on
NAME = re.compile(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")

CLIENT: web.AppKey[ApiClient] = web.AppKey("client", ApiClient)
HUB: web.AppKey[hub.JobsHub] = web.AppKey("hub", hub.JobsHub)


def names(request: web.Request, *keys: str) -> list[str]:
    """The object names a route carries; 404 for one that cannot be a Kubernetes name."""
    found = [request.match_info[key] for key in keys]
    if not all(NAME.fullmatch(name) for name in found):
        raise web.HTTPNotFound(text="no such object\n")
    return found


async def open_stream(request: web.Request) -> web.StreamResponse:
    """Start an event stream answer."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx and friends: do not hold events back
        }
    )
    await response.prepare(request)
    return response


async def send(response: web.StreamResponse, event: str, data: Any) -> None:
    """One named event with a JSON payload."""
    await response.write(f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode())


async def woken(subscription: feeds.Subscription, response: web.StreamResponse) -> set[str]:
    """The keys changed once something did; keeps the connection alive meanwhile."""
    while True:
        try:
            await asyncio.wait_for(subscription.wake.wait(), KEEPALIVE)
        except TimeoutError:
            await response.write(b": keep-alive\n\n")
            continue
        return subscription.take()


async def jobs_feed(request: web.Request) -> web.StreamResponse:
    """`snapshot` (every job, the kinds and where they are watched), then `changes` (upserts, deletions)."""
    jobs = request.app[HUB]
    response = await open_stream(request)
    with jobs.subscribe(lambda changed: not changed.startswith("pods:")) as subscription:
        every = [views.summary(body) for body in jobs.jobs()]
        await send(response, "snapshot", {"now": time.time(), "jobs": every, "kinds": jobs.scopes})
        while True:
            changed = await woken(subscription, response)
            found = {key: jobs.job(key) for key in changed if key != hub.SCOPES}
            await send(
                response,
                "changes",
                {
                    "now": time.time(),
                    "upserts": [views.summary(body) for body in found.values() if body is not None],
                    "deletes": [key for key, body in found.items() if body is None],
                    **({"kinds": jobs.scopes} if hub.SCOPES in changed else {}),
                },
            )


async def job_feed(request: web.Request) -> web.StreamResponse:
    """`state`: the whole job page (summary, conditions, pod chart, events, pods), again after each change."""
    jobs, client = request.app[HUB], request.app[CLIENT]
    try:
        ref = kinds.resolve(request.match_info["kind"])
    except errors.UnknownKind as error:
        raise web.HTTPNotFound(text=str(error)) from None
    namespace, name = names(request, "namespace", "name")
    job = (namespace, name)
    key = views.job_key(ref.kind, *job)
    events = feeds.Collection("Event")
    response = await open_stream(request)
    with jobs.subscribe(lambda changed: changed in (key, pods.pods_key(job))) as subscription:
        events.listeners.append(lambda _: subscription.notify({key}))  # any event may be this job's
        watching = asyncio.create_task(feeds.follow(client, feeds.EVENTS, events, namespace=job[0]))
        try:
            subscription.wake.set()
            while True:
                await woken(subscription, response)
                page = views.job_page(
                    jobs.job(key),
                    ref=ref,
                    job_pods=jobs.job_pods(job),
                    history=jobs.history(job),
                    failures=jobs.job_failures(job),
                    events=events.objects.values(),
                    now=time.time(),
                )
                await send(response, "state", page)
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)


async def log_feed(request: web.Request) -> web.StreamResponse:
    """`reset`, then `lines` (lists of lines) as the container prints them, then `end` when its log ends.

    Query: `container`, `previous=1` (the run before the current one), `follow=0` (only what is there now),
    `tail` (lines to start with)."""
    client = request.app[CLIENT]
    namespace, pod = names(request, "namespace", "pod")
    query = request.query
    previous = query.get("previous") == "1"
    params = {"tailLines": str(_tail(query.get("tail")))}
    if query.get("container"):
        params["container"] = query["container"]
    if previous:
        params["previous"] = "true"
    elif query.get("follow") != "0":
        params["follow"] = "true"
    response = await open_stream(request)
    await send(response, "reset", {})
    assert client.session is not None
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
    try:
        async with client.session.get(
            path,
            params=params,
            timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
            **client.stream_options(),
        ) as upstream:
            if upstream.status >= 300:
                await send(response, "problem", _message(await upstream.text(), upstream.status))
            else:
                await _relay(upstream, response)
    except aiohttp.ClientError as error:
        await send(response, "problem", f"cannot read the log: {error}")
    await send(response, "end", {})
    return response


async def _relay(upstream: aiohttp.ClientResponse, response: web.StreamResponse) -> None:
    """Lines as they come, batched by what one read returns (a burst of output is one event)."""
    partial = b""
    async for chunk in upstream.content.iter_chunked(LOG_BATCH):
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        if lines:
            await send(response, "lines", [line.decode("utf-8", errors="replace") for line in lines])
    if partial:
        await send(response, "lines", [partial.decode("utf-8", errors="replace")])


def _tail(text: str | None) -> int:
    try:
        wanted = int(text) if text else LOG_TAIL
    except ValueError:
        wanted = LOG_TAIL
    return max(1, min(wanted, MAX_LOG_TAIL))


def _message(body: str, status: int) -> str:
    """The API server's Status message (`container "x" in pod "y" is waiting to start`), else the status."""
    try:
        return str(json.loads(body).get("message") or f"HTTP {status}")
    except (ValueError, AttributeError):
        return body.strip() or f"HTTP {status}"
