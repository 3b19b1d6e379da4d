"""What the dashboard watches for every page at once: the jobs of every kind, their pods, and what happened.

From the moment the dashboard starts, it follows every job kind and every pod carrying the operator's
job-name label, and keeps per job the pods' history (`timeline.PodHistory`) and its first failed container
runs with their last log lines, read as soon as the failure shows. So a page opened later still draws the
whole run, and a failed job whose pods the operator has since deleted (a backoff limit reached, a clean-pod
policy) still shows why it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from training_operator.core import labels
from training_operator.core.kube import watch
from training_operator.core.kube.client import ApiClient
from training_operator.core.kube.resources import Resource
from training_operator.unified.dashboard import feeds, lastlines, pods, timeline, views
from training_operator.unified.sdk import kinds

#: the key a hub marks when what it can watch changed (a kind became served, or was refused)
SCOPES = "#scopes"


class JobsHub:
    """Every job of every known kind and every training pod these credentials can list, kept current."""

    def __init__(self, client: ApiClient, refs: Iterable[kinds.KindRef], *, namespace: str | None) -> None:
        self.client = client
        self.refs = {ref.kind: ref for ref in refs}
        self.namespace = namespace
        self.main_containers = frozenset(
            r.default_container for r in self.refs.values() if r.default_container
        )
        self.collections = {
            kind: feeds.Collection(kind, key=views.key_of, keep=views.slim) for kind in self.refs
        }
        self.pods = PodIndex(self._pods_changed)
        self.histories: dict[pods.JobRef, timeline.PodHistory] = {}
        self.failures = lastlines.FailureLogs(client, self._pod, self._failure_read)
        self.scopes: dict[str, str] = {kind: "waiting for the API server" for kind in self.refs}
        self.subscriptions: set[feeds.Subscription] = set()
        for collection in self.collections.values():
            collection.listeners.append(self._jobs_changed)

    async def run(self) -> None:
        """Follow every kind and the pods until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                for ref in self.refs.values():
                    group.create_task(self._follow_kind(ref))
                group.create_task(self._follow_pods())
        finally:
            await self.failures.close()

    # --- reading --------------------------------------------------------------------------------------------

    def job(self, key: str) -> dict[str, Any] | None:
        """The job object under `kind/namespace/name`, if it is known."""
        collection = self.collections.get(key.split("/", 1)[0])
        return collection.objects.get(key) if collection else None

    def jobs(self) -> Iterator[dict[str, Any]]:
        """Every known job."""
        for collection in self.collections.values():
            yield from collection.objects.values()

    def job_pods(self, ref: pods.JobRef) -> list[dict[str, Any]]:
        """The job's pods now (slim copies)."""
        return list(self.pods.by_job.get(ref, {}).values())

    def history(self, ref: pods.JobRef) -> timeline.PodHistory:
        """The job's pods over time (empty when none was seen)."""
        return self.histories.get(ref) or timeline.PodHistory(self.main_containers)

    def job_failures(self, ref: pods.JobRef) -> list[pods.Failure]:
        """The job's failed container runs, first first."""
        return self.failures.of(ref)

    @contextlib.contextmanager
    def subscribe(self, wanted: Callable[[str], bool] = lambda _: True) -> Iterator[feeds.Subscription]:
        """Hear about changed keys (job keys, `pods:` keys, SCOPES) while the block runs."""
        subscription = feeds.Subscription(wanted)
        self.subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self.subscriptions.discard(subscription)

    # --- following ------------------------------------------------------------------------------------------

    def _notify(self, keys: set[str]) -> None:
        for subscription in list(self.subscriptions):
            subscription.notify(keys)

    def _report(self, kind: str) -> Callable[[str], None]:
        def report(text: str) -> None:
            self.scopes[kind] = text
            self._notify({SCOPES})

        return report

    async def _follow_kind(self, ref: kinds.KindRef) -> None:
        resource = Resource(ref.api_version, ref.kind, ref.plural)
        where = await feeds.scope(
            self.client, resource, namespace=self.namespace, report=self._report(ref.kind)
        )
        self._report(ref.kind)(f"namespace {where}" if where else "all namespaces")
        await feeds.follow(self.client, resource, self.collections[ref.kind], namespace=where)

    async def _follow_pods(self) -> None:
        selector = labels.JOB_NAME  # every pod the operator made, and no other
        where = await feeds.scope(
            self.client, feeds.PODS, namespace=self.namespace, selector=selector, report=lambda _: None
        )
        await feeds.follow(self.client, feeds.PODS, self.pods, namespace=where, selector=selector)

    def _jobs_changed(self, keys: set[str]) -> None:
        for key in keys:
            _, _, rest = key.partition("/")
            namespace, _, name = rest.partition("/")
            if self.job(key) is None:
                self._forget((namespace, name))
        self._notify(keys)

    def _pods_changed(self, refs: set[pods.JobRef]) -> None:
        now = time.time()
        for ref in refs:
            current = self.job_pods(ref)
            history = self.histories.setdefault(ref, timeline.PodHistory(self.main_containers))
            history.observe(current, now)
            self.failures.saw(ref, current)
            self._forget(ref)
        self._notify({pods.pods_key(ref) for ref in refs})

    def _pod(self, ref: pods.JobRef, name: str) -> dict[str, Any] | None:
        return self.pods.by_job.get(ref, {}).get(name)

    def _failure_read(self, ref: pods.JobRef) -> None:
        self._notify({pods.pods_key(ref)})

    def _forget(self, ref: pods.JobRef) -> None:
        """Drop what was kept of a job once neither it (of any kind) nor any of its pods exists."""
        if self.pods.by_job.get(ref):
            return
        if any(self.job(views.job_key(kind, *ref)) is not None for kind in self.refs):
            return
        self.histories.pop(ref, None)
        self.failures.forget(ref)


class PodIndex:
    """The followed pods by job (a watch.Sink); `changed` hears which jobs' pods changed."""

    def __init__(self, changed: Callable[[set[pods.JobRef]], None]) -> None:
        self.changed = changed
        self.by_job: dict[pods.JobRef, dict[str, dict[str, Any]]] = {}

    def relist(self) -> watch.Relist:
        return _PodRelist(self)

    def apply(self, event_type: str, obj: dict[str, Any]) -> None:
        ref = pods.job_ref(obj)
        if ref is None:
            return
        name = str((obj.get("metadata") or {}).get("name", ""))
        if event_type == "DELETED":
            found = self.by_job.get(ref, {})
            found.pop(name, None)
            if not found:
                self.by_job.pop(ref, None)
        else:
            self.by_job.setdefault(ref, {})[name] = pods.slim(obj)
        self.changed({ref})


class _PodRelist:
    def __init__(self, index: PodIndex) -> None:
        self.index = index
        self.seen: dict[pods.JobRef, dict[str, dict[str, Any]]] = {}

    def add(self, objects: Iterable[dict[str, Any]]) -> None:
        for obj in objects:
            if (ref := pods.job_ref(obj)) is not None:
                self.seen.setdefault(ref, {})[str(obj["metadata"]["name"])] = pods.slim(obj)

    def finish(self) -> None:
        before = set(self.index.by_job)
        self.index.by_job = self.seen
        self.index.changed(before | set(self.seen))
