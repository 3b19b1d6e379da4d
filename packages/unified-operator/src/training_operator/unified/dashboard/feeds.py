"""Watched collections the pages are built from: list-then-watch into memory, and a wake-up for each page.

Objects arrive through core's `watch.follow` (paged relists, resume from the last resourceVersion, relist on
410, back-off after errors), the same loop the operator trusts for its children. This module is the only one
that knows how objects arrive, so moving to the SDK's own watches later changes nothing else. Pages are
pushed, never polled: a change marks the keys it touched on every interested `Subscription` and wakes it;
changes that land while a page is being sent fold into its next push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp

from training_operator.core.kube import watch
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.resources import Resource

Listener = Callable[[set[str]], None]
#: seconds between looks at a resource the cluster does not serve (yet): `local up` installs CRDs as we start
PROBE_FIRST, PROBE_MAX = 1.0, 60.0
EVENTS = Resource("v1", "Event", "events")
PODS = Resource("v1", "Pod", "pods")


def object_key(obj: dict[str, Any]) -> str:
    """`namespace/name` of a namespaced object."""
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


class Collection:
    """What one watch currently holds, by key; listeners hear which keys changed (a watch.Sink)."""

    def __init__(
        self,
        kind: str,
        *,
        key: Callable[[dict[str, Any]], str] = object_key,
        keep: Callable[[dict[str, Any]], dict[str, Any]] = lambda obj: obj,
    ) -> None:
        self.kind = kind
        self.key = key
        self.keep = keep  # what of each object to hold on to
        self.objects: dict[str, dict[str, Any]] = {}
        self.listeners: list[Listener] = []

    def relist(self) -> watch.Relist:
        """A fresh list replaces what was known; keys that vanished count as changed."""
        return _Relist(self)

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        """One watch event."""
        obj.setdefault("kind", self.kind)  # list items and some watch events omit it
        key = self.key(obj)
        if event_type == "DELETED":
            self.objects.pop(key, None)
        else:
            self.objects[key] = self.keep(obj)
        self.tell({key})

    def tell(self, keys: set[str]) -> None:
        """Wake the listeners for these keys."""
        for listener in list(self.listeners):
            listener(keys)


class _Relist:
    def __init__(self, collection: Collection) -> None:
        self.collection = collection
        self.seen: dict[str, dict[str, Any]] = {}

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            obj.setdefault("kind", self.collection.kind)
            self.seen[self.collection.key(obj)] = self.collection.keep(obj)

    def finish(self) -> None:
        before = self.collection.objects
        self.collection.objects = self.seen
        self.collection.tell(set(before) | set(self.seen))


class Subscription:
    """One page's interest: the keys that changed since it last looked, and an event that says some did."""

    def __init__(self, wanted: Callable[[str], bool] = lambda _: True) -> None:
        self.wanted = wanted
        self.dirty: set[str] = set()
        self.wake = asyncio.Event()

    def notify(self, keys: set[str]) -> None:
        """Called by collections; cheap, never blocks."""
        if hits := {k for k in keys if self.wanted(k)}:
            self.dirty |= hits
            self.wake.set()

    def take(self) -> set[str]:
        """The keys changed since the last take; re-arms the wake-up."""
        taken, self.dirty = self.dirty, set()
        self.wake.clear()
        return taken


async def scope(
    client: ApiClient,
    resource: Resource,
    *,
    namespace: str | None,
    selector: str | None = None,
    report: Callable[[str], object],
) -> str | None:
    """Where these credentials may list `resource`: all namespaces (None), else the given or kubeconfig's one.

    Waits, quietly, while the cluster does not serve it (its CRD may be installed after we start) or is out
    of reach, telling `report` why meanwhile."""
    delay = PROBE_FIRST
    params = {"limit": "1", **({"labelSelector": selector} if selector else {})}
    while True:
        try:
            await client.request("GET", resource.path(namespace), params=params)
            return namespace
        except ApiError as error:
            if error.status == 403 and namespace is None:
                namespace = client.access.namespace
                continue
            report("not served by this cluster" if error.not_found else error.message)
        except (TimeoutError, aiohttp.ClientError, ConnectionError) as error:
            report(f"cannot reach the API server: {error}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, PROBE_MAX)


async def follow(
    client: ApiClient,
    resource: Resource,
    sink: watch.Sink,
    *,
    namespace: str | None,
    selector: str | None = None,
) -> None:
    """Keep `sink` equal to what the server holds, until cancelled (the one door objects come through)."""
    await watch.follow(client, resource, sink, namespace=namespace, selector=selector)
