"""List-then-watch of one resource: the child resources feeding the index, and small caches (PriorityClasses).

Resumes from the last resourceVersion it saw (bookmarks included) after a dropped stream; on 410 it relists
and replaces what it knew, so nothing deleted during the gap lingers. Lists are read in pages, so the
operator's memory peak at start-up does not grow with the cluster. `follow` is the loop; what is done with the
objects is a `Sink`'s business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

import aiohttp

from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.resources import Resource

log = logging.getLogger(__name__)
WATCH_TIMEOUT_SECONDS = 290
#: LIST page size, client-go's reflector default: a relist of 10,000 pods never parses them all at once
PAGE_SIZE = 500
RETRY_FIRST, RETRY_MAX = 0.2, 30.0


class Relist(Protocol):
    """One relist in progress: pages in, then `finish` (which drops what no page mentioned)."""

    def add(self, objects: Iterable[dict[str, Any]]) -> None: ...

    def finish(self) -> None: ...


class Sink(Protocol):
    """What a followed resource's objects go into."""

    def relist(self) -> Relist: ...

    def apply(self, event_type: str, obj: dict[str, Any]) -> None: ...


async def follow(
    client: ApiClient,
    resource: Resource,
    sink: Sink,
    *,
    selector: str | None = None,
    namespace: str | None = None,
    synced: asyncio.Event | None = None,
    optional: bool = False,
) -> None:
    """Run forever (until cancelled): keep `sink` equal to what the API server has for `resource`.

    `synced` is set after the first full list. An `optional` resource (one the operator can work without,
    like PriorityClasses under an RBAC that omits them) also sets it when the server refuses, and retries."""
    version: str | None = None
    delay = RETRY_FIRST
    while True:
        try:
            if version is None:
                version = await _relist(client, resource, sink, selector=selector, namespace=namespace)
                if synced is not None:
                    synced.set()
            version = await _stream(client, resource, sink, version, selector=selector, namespace=namespace)
            delay = RETRY_FIRST
            continue  # the server ended the watch (timeoutSeconds): resume at once from `version`
        except ApiError as error:
            if error.gone:
                log.info("watch of %s expired (410); relisting", resource.plural)
                version = None
                continue
            if (error.not_found or optional) and synced is not None:
                synced.set()  # not served (no PodGroup CRD): nothing of it exists yet; or we can do without
            if optional and error.status == 403:
                log.warning("%s are off: %s", resource.plural, error)  # once: RBAC does not change by itself
                return
            log.warning("watch of %s failed: %s; retrying in %.1fs", resource.plural, error, delay)
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            log.warning("watch of %s dropped: %r; resuming in %.1fs", resource.plural, error, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, RETRY_MAX)


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
    """Keep `index` equal to what the API server has for one child resource; wake the jobs that changed."""
    sink = IndexSink(index, resource, notify)
    await follow(client, resource, sink, selector=selector, namespace=namespace, synced=synced)


class IndexSink:
    """A child resource into the index; the jobs whose snapshot changed are handed to `notify`."""

    def __init__(self, index: Index, resource: Resource, notify: Callable[[Iterable[JobKey]], None]) -> None:
        self.index, self.resource, self.notify = index, resource, notify

    def relist(self) -> Relist:
        return _IndexRelist(self)

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        if touched := self.index.apply(event_type, _typed(obj, self.resource)):
            self.notify(touched)


class _IndexRelist:
    def __init__(self, sink: IndexSink) -> None:
        self.sink = sink
        self.relisting = sink.index.relisting((sink.resource.api_version, sink.resource.kind))

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        self.relisting.add(_typed(obj, self.sink.resource) for obj in objects)

    def finish(self) -> None:
        self.sink.notify(self.relisting.finish())


class ValueCache:
    """A name → value map of one cluster-scoped resource (PriorityClass → `value`), for `follow`."""

    def __init__(self, field: str, into: dict[str, int]) -> None:
        self.field, self.values = field, into

    def relist(self) -> Relist:
        return _ValueRelist(self)

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        name = str((obj.get("metadata") or {}).get("name", ""))
        if event_type == "DELETED":
            self.values.pop(name, None)
        else:
            self.values[name] = _int(obj, self.field)


class _ValueRelist:
    def __init__(self, cache: ValueCache) -> None:
        self.cache, self.seen = cache, dict[str, int]()

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            self.seen[str((obj.get("metadata") or {}).get("name", ""))] = _int(obj, self.cache.field)

    def finish(self) -> None:
        self.cache.values.clear()
        self.cache.values.update(self.seen)


def _int(obj: Mapping[str, Any], field: str) -> int:
    value = obj.get(field)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


async def _relist(
    client: ApiClient, resource: Resource, sink: Sink, *, selector: str | None, namespace: str | None
) -> str:
    relist = sink.relist()
    params = {**_selecting(selector), "limit": str(PAGE_SIZE)}
    while True:
        listing = await client.request("GET", resource.path(namespace), params=params)
        relist.add(listing.get("items") or [])
        metadata = listing.get("metadata") or {}
        if not metadata.get("continue"):
            break
        params = {**params, "continue": str(metadata["continue"])}
        del listing  # one page of raw objects at a time
    relist.finish()
    return str(metadata.get("resourceVersion", ""))


async def _stream(
    client: ApiClient,
    resource: Resource,
    sink: Sink,
    version: str,
    *,
    selector: str | None,
    namespace: str | None,
) -> str:
    params = {
        **_selecting(selector),
        "resourceVersion": version,
        "allowWatchBookmarks": "true",
        "timeoutSeconds": str(WATCH_TIMEOUT_SECONDS),
    }
    async for event in client.watch(resource.path(namespace), params):
        body = event.get("object") or {}
        version = str((body.get("metadata") or {}).get("resourceVersion", version))
        kind = str(event.get("type"))
        if kind != "BOOKMARK":
            sink.apply(kind, body)
    return version


def _selecting(selector: str | None) -> dict[str, str]:
    return {"labelSelector": selector} if selector else {}


def _typed(body: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """List items come without kind/apiVersion; the records need them."""
    body.setdefault("kind", resource.kind)
    body.setdefault("apiVersion", resource.api_version)
    return body
