"""List-then-watch of one child resource, with a server-side label selector, feeding the index.

Resumes from the last resourceVersion it saw (bookmarks included) after a dropped stream; on 410 it relists
and replaces that resource's part of the index, so nothing deleted during the gap lingers. Lists are read in
pages, so the operator's memory peak at start-up does not grow with the cluster.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp

from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.resources import Resource

log = logging.getLogger(__name__)
WATCH_TIMEOUT_SECONDS = 290
#: LIST page size, client-go's reflector default: a relist of 10,000 pods never parses them all at once
PAGE_SIZE = 500
RETRY_FIRST, RETRY_MAX = 0.2, 30.0


async def watch_children(
    client: ApiClient,
    resource: Resource,
    *,
    index: Index,
    selector: str | None,
    namespace: str | None,
    notify: Callable[[Iterable[JobKey]], None],
    synced: asyncio.Event | None = None,
) -> None:
    """Run forever (until cancelled): keep `index` equal to what the API server has for `resource`."""
    version: str | None = None
    delay = RETRY_FIRST
    while True:
        try:
            if version is None:
                version = await _relist(
                    client, resource, index=index, selector=selector, namespace=namespace, notify=notify
                )
                if synced is not None:
                    synced.set()
            version = await _stream(
                client, resource, version, index=index, selector=selector, namespace=namespace, notify=notify
            )
            delay = RETRY_FIRST
            continue  # the server ended the watch (timeoutSeconds): resume at once from `version`
        except ApiError as error:
            if error.gone:
                log.info("watch of %s expired (410); relisting", resource.plural)
                version = None
                continue
            if error.not_found and synced is not None:
                synced.set()  # the resource is not served (no PodGroup CRD): nothing of it can exist yet
            log.warning("watch of %s failed: %s; retrying in %.1fs", resource.plural, error, delay)
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            log.warning("watch of %s dropped: %r; resuming in %.1fs", resource.plural, error, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX)


async def _relist(
    client: ApiClient,
    resource: Resource,
    *,
    index: Index,
    selector: str | None,
    namespace: str | None,
    notify: Callable[[Iterable[JobKey]], None],
) -> str:
    relist = index.relisting((resource.api_version, resource.kind))
    params = {**_selecting(selector), "limit": str(PAGE_SIZE)}
    while True:
        listing = await client.request("GET", resource.path(namespace), params=params)
        relist.add(_typed(item, resource) for item in listing.get("items") or [])
        metadata = listing.get("metadata") or {}
        if not metadata.get("continue"):
            break
        params = {**params, "continue": str(metadata["continue"])}
        del listing  # one page of raw objects at a time
    notify(relist.finish())
    return str(metadata.get("resourceVersion", ""))


async def _stream(
    client: ApiClient,
    resource: Resource,
    version: str,
    *,
    index: Index,
    selector: str | None,
    namespace: str | None,
    notify: Callable[[Iterable[JobKey]], None],
) -> str:
    params = {
        **_selecting(selector),
        "resourceVersion": version,
        "allowWatchBookmarks": "true",
        "timeoutSeconds": str(WATCH_TIMEOUT_SECONDS),
    }
    async for event in client.watch(resource.path(namespace), params):
        body = _typed(event.get("object") or {}, resource)
        version = str((body.get("metadata") or {}).get("resourceVersion", version))
        kind = event.get("type")
        if kind == "BOOKMARK":
            continue
        if touched := index.apply(str(kind), body):
            notify(touched)
    return version


def _selecting(selector: str | None) -> dict[str, str]:
    return {"labelSelector": selector} if selector else {}


def _typed(body: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """List items come without kind/apiVersion; the records need them."""
    body.setdefault("kind", resource.kind)
    body.setdefault("apiVersion", resource.api_version)
    return body
