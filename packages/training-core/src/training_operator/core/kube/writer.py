"""Carries out a `Plan` against the API server, in the order `core.engine.plan` prescribes.

claims (adopt/release, uid precondition) → deletes (uid precondition) → creates → updates (merge patches) →
the status (a merge patch on /status, only when `Plan.status` is not None) → the job deletion (TTL) → events
→ metrics. A job whose stored status has no condition yet gets its status first, so `Created` shows before
any child exists. A failed write stops neither the other children's writes nor the status write: every
failure is collected and raised at the end (`WriteFailed`), and the queue's back-off retries the job, whose
next reconcile re-plans from what then exists. A status write answered 404 means the job was deleted since
the plan was made, which is normal: the plan stops there quietly, with no events on an object that is gone.

Pods and services do not depend on each other, so a run of them is created in slow-start batches (1, 2, 4, …
16, then a flow of up to the client's concurrency), as Kubernetes' Job and ReplicaSet controllers do: a
1,000-replica job is not bound by one round trip per child, yet a create that fails (quota, webhook, bad
template) is tried once, not a thousand times — the rest of that run waits for the retry. Any other kind
(PodGroup, ConfigMap, Secret, the MPI launcher's Job) is a run of its own, created in plan order.

A create answered 409 AlreadyExists is followed by one GET: our own child (a lost response, a restart) is
done; anything else is learnt into the index — the label-selected watches would never show it — and the
creates after it wait: the engine plans again at once (`Written.replan`) and decides, with that object in
view, whether to adopt it or report it as blocking (core.engine.ownership).

Each successful write updates the index from the response, so the next reconcile sees it even before the
watch does (this replaces Go's expectations, common.md §15).

Events whose text depends on a write's outcome (`SuccessfulCreatePod`, `Error creating: …`) and the internal
counters of common.md §17.2 are produced here, because only the writer knows the outcome.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from training_operator.core.engine import draft
from training_operator.core.engine.plan import Adopt, Create, Delete, Event, Plan, Release, Update
from training_operator.core.framework import KindInfo
from training_operator.core.kube import claims, convert, resources
from training_operator.core.kube.client import MERGE_PATCH, ApiClient, ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.recorder import EventRecorder

log = logging.getLogger(__name__)
_OUTCOME_KINDS = {"Pod": "pod", "Service": "service", "PodGroup": "podgroup"}
_INDEPENDENT = frozenset({"Pod", "Service"})
MAX_BATCH = 32  # the ApiClient's default bound on concurrent requests


class MetricSink(Protocol):
    """What the writer needs of `core.metrics.Metrics`."""

    def increment(self, name: str, labels: Mapping[str, str] | None = None, amount: float = 1.0) -> None: ...

    def set_gauge(self, name: str, labels: Mapping[str, str] | None = None, value: float = 1.0) -> None: ...


class WriteFailed(Exception):
    """Some writes of a plan failed (the others were made); the queue retries the job with back-off."""

    def __init__(self, message: str, *, job: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        #: the job body after the plan's status write (the body as given when there was none)
        self.job = job


@dataclass(frozen=True, slots=True)
class Written:
    """What carrying out a plan left behind."""

    job: Mapping[str, Any]
    #: a create met an object the plan did not know (now in the index): plan again at once
    replan: bool = False


class _Learnt(Exception):
    """A create's 409 showed an object the plan did not know; it is in the index now."""


class _Gone(Exception):
    """The job's status write found it deleted since the plan was made: the plan stops quietly."""


class Writer:
    """Executes plans for the jobs of any kind."""

    def __init__(
        self,
        client: ApiClient,
        index: Index,
        *,
        recorder: EventRecorder,
        metrics: MetricSink,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self.client = client
        self.index = index
        self.recorder = recorder
        self.metrics = metrics
        self.max_batch = max(1, max_batch)

    async def execute(self, plan: Plan, *, key: JobKey, job: Mapping[str, Any], kind: KindInfo) -> Written:
        """Make the plan real; raises `WriteFailed` (after every write was tried) when any failed."""
        try:
            return await self._execute(plan, key=key, job=job, kind=kind)
        except _Gone:
            return Written(job)  # deleted meanwhile: nothing is left to record anything on

    async def _execute(self, plan: Plan, *, key: JobKey, job: Mapping[str, Any], kind: KindInfo) -> Written:
        component = kind.controller_name
        failures: list[str] = []
        status_written = plan.status is None
        first = plan.status is not None and not (job.get("status") or {}).get("conditions")
        if first:
            job, status_written = await self._status(plan.status or {}, job, kind, failures)  # Created first
        for claim in plan.claims:
            await self._attempt(self._claim(claim, key=key), failures)
        for delete in plan.deletes:
            await self._attempt(self._delete(delete, key=key, job=job, component=component), failures)
        replan = await self._create_all(
            plan.creates, key=key, job=job, component=component, failures=failures
        )
        for update in plan.updates:
            await self._attempt(self._update(update, key=key), failures)
        if plan.status is not None and not first:
            job, status_written = await self._status(plan.status, job, kind, failures)
        if plan.delete_job:
            await self._attempt(self._delete_job(job, key=key, kind=kind), failures)
        for event in plan.events:
            self.recorder.record(job, event, component=component)
        if status_written:  # a failed status write re-decides (and counts) on the retry, as upstream
            self._count(plan)
        if failures:
            raise WriteFailed("; ".join(failures), job=job)
        return Written(job, replan=replan)

    async def _attempt(self, write: Any, failures: list[str]) -> Any:
        """Await one write; an API error is collected, not raised, so the plan's other writes still go."""
        try:
            return await write
        except (ApiError, WriteFailed) as error:
            failures.append(str(error))
            return None

    async def _status(
        self, status: Mapping[str, Any], job: Mapping[str, Any], kind: KindInfo, failures: list[str]
    ) -> tuple[Mapping[str, Any], bool]:
        try:
            written = await self._write_status(status, job=job, plural=kind.plural)
        except WriteFailed as error:
            failures.append(str(error))
            return job, False
        if written is None:
            raise _Gone(kind.kind)
        return written, True

    def _count(self, plan: Plan) -> None:
        for metric in plan.metrics:
            if metric.name != draft.JOBS_CREATED:  # counted once per job by the adapter (handlers)
                self.metrics.increment(metric.name, metric.labels)
        for gauge in plan.gauges:
            self.metrics.set_gauge(gauge.name, gauge.labels, gauge.value)

    async def _create_all(
        self,
        creates: Sequence[Create],
        *,
        key: JobKey,
        job: Mapping[str, Any],
        component: str,
        failures: list[str],
    ) -> bool:
        """Every run of creates; True when one met an unknown object (the rest then waits for a re-plan)."""
        for group in create_groups(creates):
            try:
                await self._create_batched(group, key=key, job=job, component=component)
            except _Learnt:
                return True
            except ApiError as error:
                failures.append(str(error))
        return False

    async def _create_batched(
        self, group: Sequence[Create], *, key: JobKey, job: Mapping[str, Any], component: str
    ) -> None:
        """Slow start: batches of 1, 2, 4, … creates at once, the first batch with a failure stopping the run;
        once a batch would be as wide as the client allows, the rest flows through that many workers, so no
        request waits for the slowest of its batch."""
        size, start = 1, 0
        while start < len(group) and size < self.max_batch:
            batch = group[start : start + size]
            outcomes = await asyncio.gather(
                *(self._create(create, key=key, job=job, component=component) for create in batch),
                return_exceptions=True,
            )
            _raise_first(outcomes)
            start += len(batch)
            size *= 2
        if start < len(group):
            await self._create_flowing(group[start:], key=key, job=job, component=component)

    async def _create_flowing(
        self, rest: Sequence[Create], *, key: JobKey, job: Mapping[str, Any], component: str
    ) -> None:
        """`max_batch` workers take the next create as each finishes; after a failure none starts another."""
        queue = iter(rest)
        failures: list[Exception] = []

        async def worker() -> None:
            for create in queue:
                if failures:
                    return
                try:
                    await self._create(create, key=key, job=job, component=component)
                except Exception as error:  # kept, and raised below once the other workers stop
                    failures.append(error)
                    return

        await asyncio.gather(*(worker() for _ in range(min(self.max_batch, len(rest)))))
        _raise_first(failures)

    async def _create(self, create: Create, *, key: JobKey, job: Mapping[str, Any], component: str) -> None:
        body = create.body
        resource = resources.of_type(str(body["apiVersion"]), create.kind)
        namespace = body["metadata"].get("namespace") or key.namespace
        sent = {"apiVersion": body["apiVersion"], "kind": create.kind, "metadata": body["metadata"]}
        self.index.expect(key, sent)
        try:
            created = await self.client.request("POST", resource.path(namespace), body=dict(body))
        except ApiError as error:
            self.index.unexpect(key, sent)
            if error.already_exists and await self._known(resource, namespace, create.name, key=key, job=job):
                return  # a create repeated after a restart or a lost response: it is done
            self._outcome(job, create.kind, "Create", error=error, component=component)
            raise
        except BaseException:  # no answer (cancelled, connection lost): nothing to record
            self.index.unexpect(key, sent)
            raise
        self.index.put(key, {"apiVersion": body["apiVersion"], "kind": create.kind, **created})
        self._outcome(job, create.kind, "Create", name=create.name, component=component)

    async def _known(
        self, resource: resources.Resource, namespace: str, name: str, *, key: JobKey, job: Mapping[str, Any]
    ) -> bool:
        """The object at a name we tried to create: True when it is this job's (done); anything else is
        learnt into the index, and `_Learnt` stops the creates that follow."""
        existing = await self.client.request("GET", resource.path(namespace, name))
        obj = {"apiVersion": resource.api_version, "kind": resource.kind, **existing}
        owner = convert.controller_of(existing)
        if owner is not None and owner.get("uid") == (job.get("metadata") or {}).get("uid"):
            self.index.put(key, obj)
            return True
        self.index.learn(key, obj)
        raise _Learnt(name)

    async def _claim(self, claim: Adopt | Release, *, key: JobKey) -> None:
        """Adopt or release one child. If it changed meanwhile (gone, replaced, claimed by another
        controller) it is forgotten, so the next plan sees it anew — after the back-off, not at once: a
        server that keeps refusing must not make a hot loop."""
        resource = resources.of_type(claim.api_version, claim.kind)
        patch, content_type = claims.patch(claim, builtin=resource.builtin)
        try:
            patched = await self.client.request(
                "PATCH", resource.path(key.namespace, claim.name), body=patch, content_type=content_type
            )
        except ApiError as error:
            if error.status in claims.CHANGED_MEANWHILE:
                self.index.forget(key, api_version=claim.api_version, kind=claim.kind, name=claim.name)
            raise
        obj = {"apiVersion": claim.api_version, "kind": claim.kind, **patched}
        if isinstance(claim, Release):
            self.index.learn(key, obj)  # it may leave the watches' view: read it again until one shows it
        else:
            self.index.put(key, obj)
        verb = "adopted" if isinstance(claim, Adopt) else "released"
        log.info("%s: %s %s %s", key, verb, claim.kind, claim.name)

    async def _delete(self, delete: Delete, *, key: JobKey, job: Mapping[str, Any], component: str) -> None:
        resource = resources.of_type(delete.api_version, delete.kind)
        body: dict[str, Any] = {"propagationPolicy": "Background"}
        if delete.uid:
            body["preconditions"] = {"uid": delete.uid}
        try:
            await self.client.request("DELETE", resource.path(key.namespace, delete.name), body=body)
        except ApiError as error:
            if error.status not in (404, 409):  # gone already, or a newer object of that name: not ours
                self._outcome(job, delete.kind, "Delete", error=error, component=component)
                raise
        self.index.mark_deleting(key, api_version=delete.api_version, kind=delete.kind, name=delete.name)
        self._outcome(job, delete.kind, "Delete", name=delete.name, component=component)

    async def _update(self, update: Update, *, key: JobKey) -> None:
        resource = resources.of_type(update.api_version, update.kind)
        path = resource.path(key.namespace, update.name, update.subresource or None)
        patched = await self.client.request("PATCH", path, body=dict(update.patch), content_type=MERGE_PATCH)
        self.index.put(key, {"apiVersion": update.api_version, "kind": update.kind, **patched})

    async def _write_status(
        self, status: Mapping[str, Any], *, job: Mapping[str, Any], plural: str
    ) -> Mapping[str, Any] | None:
        """Merge-patch /status, guarded by the resourceVersion the plan was made from (409 → retry); None
        when the job was deleted since the plan was made, which is normal (its watch event follows)."""
        meta = job.get("metadata") or {}
        resource = resources.Resource(str(job.get("apiVersion")), str(job.get("kind")), plural)
        patch = {
            "metadata": {"resourceVersion": meta.get("resourceVersion")},
            "status": merge_patch(job.get("status") or {}, status),
        }
        path = resource.path(meta.get("namespace") or "default", meta.get("name"), "status")
        try:
            return await self.client.request("PATCH", path, body=patch, content_type=MERGE_PATCH)
        except ApiError as error:
            if error.not_found:
                log.debug("status of %s not written: the job is gone", meta.get("name"))
                return None
            raise WriteFailed(f"status of {meta.get('name')}: {error}") from error

    async def _delete_job(self, job: Mapping[str, Any], *, key: JobKey, kind: KindInfo) -> None:
        """TTL after finished (common.md §11.2): delete the job, count it, say so on the job."""
        component = kind.controller_name
        meta = job.get("metadata") or {}
        resource = resources.of_kind(kind)
        body = {"propagationPolicy": "Background", "preconditions": {"uid": meta.get("uid")}}
        try:
            await self.client.request("DELETE", resource.path(key.namespace, key.name), body=body)
        except ApiError as error:
            if error.status in (404, 409):
                return
            failed = Event("Warning", "FailedDeleteJob", f"Error deleting: {error.message}")
            self.recorder.record(job, failed, component=component)
            raise WriteFailed(str(error)) from error
        deleted = Event("Normal", "SuccessfulDeleteJob", f"Deleted job: {key.name}")
        self.recorder.record(job, deleted, component=component)
        labels = {"job_namespace": key.namespace, "framework": kind.framework_label}
        self.metrics.increment(draft.JOBS_DELETED, labels)

    def _outcome(
        self,
        job: Mapping[str, Any],
        kind: str,
        verb: str,
        *,
        name: str = "",
        error: ApiError | None = None,
        component: str,
    ) -> None:
        """Outcome events and internal counters (common.md §16.1, §17.2) of pods, services, PodGroups."""
        noun = _OUTCOME_KINDS.get(kind)
        if noun is None:
            return
        if error is None:
            done = "Created" if verb == "Create" else "Deleted"
            event = Event("Normal", f"Successful{verb}{kind}", f"{done} {noun}: {name}")
        else:
            doing = "creating" if verb == "Create" else "deleting"
            event = Event("Warning", f"Failed{verb}{kind}", f"Error {doing}: {error.message}")
        self.recorder.record(job, event, component=component)
        counter = _INTERNAL.get((kind, verb, error is None))
        if counter:
            self.metrics.increment(counter)


_INTERNAL = {
    ("Pod", "Create", True): "created_pods_total",
    ("Pod", "Delete", True): "deleted_pods_total",
    ("Service", "Create", True): "succeeded_service_creation_total",
    ("Service", "Create", False): "failed_service_creation_total",
    ("PodGroup", "Create", True): "created_pod_groups_total",
    ("PodGroup", "Delete", True): "deleted_pod_groups_total",
}


def create_groups(creates: Sequence[Create]) -> list[list[Create]]:
    """Plan-ordered groups: each run of pods and services is one group, any other kind a group of its own."""
    groups: list[list[Create]] = []
    for create in creates:
        if create.kind in _INDEPENDENT and groups and groups[-1][0].kind in _INDEPENDENT:
            groups[-1].append(create)
        else:
            groups.append([create])
    return groups


def merge_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON merge patch (RFC 7386) turning `old` into `new`: removed keys become null."""
    patch: dict[str, Any] = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            nested = merge_patch(before, value)
            if nested:
                patch[key] = nested
        elif before != value or key not in old:
            patch[key] = value
    return patch


def _raise_first(outcomes: Sequence[Any]) -> None:
    """Raise a learnt object before any failure (it decides the re-plan), else the first failure."""
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    learnt = [e for e in errors if isinstance(e, _Learnt)]
    if learnt or errors:
        raise (learnt or errors)[0]
