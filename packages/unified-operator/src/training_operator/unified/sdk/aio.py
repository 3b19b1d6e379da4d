"""AsyncTrainingClient: the same methods as TrainingClient, as coroutines, on one aiohttp session.

Waits and followed logs are real streams (a watch, one task per pod), so many jobs can be followed from one
event loop; cancel any call with `asyncio.timeout`. Use `async with AsyncTrainingClient() as client:` so the
session closes.
"""

# Kubeflow's signatures take `timeout=` (seconds per API call); the async twin keeps them, so:
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from types import TracebackType
from typing import Any

import aiohttp

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.unified.sdk import calls, connection, errors, jobs, kinds, logs, watching
from training_operator.unified.sdk.transport import AsyncApi

DEFAULT_TIMEOUT = 120
LineSink = Callable[[str, str], object]


class AsyncTrainingClient:
    """Create, read, watch and delete training jobs of every installed kind (asyncio)."""

    def __init__(
        self,
        config_file: str | None = None,
        context: str | None = None,
        client_configuration: Any = None,
        namespace: str | None = None,
        job_kind: str = "PyTorchJob",
        session: aiohttp.ClientSession | None = None,
        strict: bool = True,
    ) -> None:
        """`strict`: as TrainingClient's (refuse unknown fields before sending and at the server)."""
        self.job_kind = kinds.resolve(job_kind).kind
        self.strict = strict
        found = connection.connect(
            config_file=config_file,
            context=context,
            client_configuration=client_configuration,
            namespace=namespace,
        )
        self.namespace = found.namespace
        self.credentials = found.credentials
        self.api = AsyncApi(found.credentials, session)

    async def __aenter__(self) -> AsyncTrainingClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (unless it was passed in)."""
        await self.api.close()

    # --- jobs -----------------------------------------------------------------------------------------------

    async def create_job(
        self,
        job: Any = None,
        name: str | None = None,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        job_kind: str | None = None,
        **builder: Any,
    ) -> JobModel:
        """Create a job given as our model, a dict, a YAML file path or a Kubeflow SDK model, or built from
        `train_func=`/`base_image=` as Kubeflow's builders do; returns the job as stored."""
        ref, ns, body = jobs.creation(
            job, name, namespace, labels, annotations, job_kind, builder, defaults=self
        )
        return jobs.parse_job(await self.api.request(calls.create_job(ref, ns, body, strict=self.strict)))

    async def get_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JobModel:
        """The job as stored now; JobNotFound when it does not exist."""
        call = calls.get_job(self._kind(job_kind), namespace or self.namespace, name)
        return jobs.parse_job(await self.api.request(call, timeout=timeout))

    async def list_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        label_selector: str | None = None,
    ) -> list[JobModel]:
        """Every job of one kind in the namespace (an empty list when there are none)."""
        call = calls.list_jobs(self._kind(job_kind), namespace or self.namespace, label_selector)
        return [jobs.parse_job(item) for item in await self._items(call, timeout)]

    async def update_job(
        self, job: Any, name: str | None = None, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch the whole job (maps merge, lists are replaced), as Kubeflow's update_job does."""
        ref, ns, body = jobs.updating(job, name, namespace, self.namespace, job_kind)
        return jobs.parse_job(await self.api.request(calls.update_job(ref, ns, body)))

    async def delete_job(
        self, name: str, namespace: str | None = None, job_kind: str | None = None, delete_options: Any = None
    ) -> None:
        """Delete the job; the API server's garbage collector removes its pods and services."""
        ref = self._kind(job_kind)
        await self.api.request(calls.delete_job(ref, namespace or self.namespace, name, delete_options))

    async def set_job_suspended(
        self, name: str, suspend: bool = True, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch `spec.runPolicy.suspend`: a suspended job keeps its object but the operator removes
        its pods; resuming (False) lets it start them again."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return jobs.parse_job(await self.api.request(calls.patch_run_policy(ref, ns, name, suspend=suspend)))

    async def get_served_versions(
        self, job_kind: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> list[str]:
        """The versions the cluster's CRD for the kind serves; [] when the CRD is not installed."""
        try:
            crd = await self.api.request(calls.get_crd(self._kind(job_kind)), timeout=timeout)
        except errors.JobNotFound:  # a named GET that 404s: here the CRD itself is missing
            return []
        return calls.served_versions(crd)

    # --- conditions -----------------------------------------------------------------------------------------

    async def get_job_conditions(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[JobCondition]:
        """The job's conditions (of `job` when given, else fetched by name); [] without status."""
        if job is None:
            job = await self.get_job(jobs.required_name(name), namespace, job_kind, timeout)
        return jobs.conditions(job)

    async def is_job_created(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Created condition is True."""
        found = await self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.CREATED)

    async def is_job_running(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Running condition is True."""
        found = await self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RUNNING)

    async def is_job_restarting(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Restarting condition is True."""
        found = await self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RESTARTING)

    async def is_job_succeeded(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Succeeded condition is True."""
        found = await self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.SUCCEEDED)

    async def is_job_failed(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Failed condition is True."""
        found = await self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.FAILED)

    async def wait_for_job_conditions(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        expected_conditions: Collection[str] = frozenset({"Succeeded"}),
        wait_timeout: float = 600,
        polling_interval: float = 15,
        callback: Callable[[JobModel], object] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JobModel:
        """Wait on a watch until an expected condition is True; JobFailed on Failed, Timeout at the end."""
        del polling_interval  # Kubeflow compatibility: we watch instead of polling
        ref, ns = self._kind(job_kind), namespace or self.namespace
        expected = jobs.check_expected(expected_conditions)
        wait = watching.ConditionWait(
            f"{ref.kind} {ns}/{name}", expected, callback, wait_timeout=wait_timeout, started=time.monotonic()
        )
        body = await self.api.request(calls.get_job(ref, ns, name), timeout=timeout)
        while not isinstance(outcome := wait.step(body, time.monotonic()), JobModel):
            call = calls.watch_job(ref, ns, name, wait.resource_version, outcome)
            try:
                async with asyncio.timeout(outcome):
                    changed = await anext(self._versions(call), None)
            except TimeoutError:
                changed = None
            body = changed or await self.api.request(calls.get_job(ref, ns, name), timeout=timeout)
        return outcome

    async def _versions(self, call: calls.Call) -> AsyncIterator[dict[str, Any]]:
        async for line in self.api.lines(call):
            if (version := calls.watched_job(call, line)) is not None:
                yield version

    # --- pods, logs, events ---------------------------------------------------------------------------------

    async def get_job_pods(
        self,
        name: str,
        namespace: str | None = None,
        is_master: bool = False,
        replica_type: str | None = None,
        replica_index: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_kind: str | None = None,
    ) -> list[Any]:
        """The job's pods (`kubernetes.client.V1Pod`), filtered by master role, replica type and index."""
        items = await self._pods(name, namespace, job_kind, timeout, is_master, replica_type, replica_index)
        return logs.as_pods(items)

    async def get_job_pod_names(
        self,
        name: str,
        namespace: str | None = None,
        is_master: bool = False,
        replica_type: str | None = None,
        replica_index: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_kind: str | None = None,
    ) -> list[str]:
        """Names of the pods `get_job_pods` returns, in the same order."""
        items = await self._pods(name, namespace, job_kind, timeout, is_master, replica_type, replica_index)
        return [item["metadata"]["name"] for item in items]

    async def get_job_logs(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        is_master: bool = True,
        replica_type: str | None = None,
        replica_index: int | None = None,
        follow: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        verbose: bool = False,
        container: str | None = None,
        on_line: LineSink | None = None,
    ) -> tuple[dict[str, str], dict[str, list[str]]]:
        """`(log by pod, events by object)`; `follow` streams every pod (one task each) until all end."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        pods = await self._pods(name, ns, ref.kind, timeout, is_master, replica_type, replica_index)
        pods = [p for p in pods if jobs.loggable(p)]
        if follow:
            sink = on_line or logs.print_line
            texts = await asyncio.gather(
                *(self._follow(calls.pod_log(ref, ns, p, container, follow=True), sink) for p in pods)
            )
        else:
            texts = await asyncio.gather(
                *(self.api.request(calls.pod_log(ref, ns, p, container), timeout=timeout) for p in pods)
            )
        found = {p["metadata"]["name"]: str(text) for p, text in zip(pods, texts, strict=True)}
        events: dict[str, list[str]] = {}
        if verbose:
            listed = await asyncio.gather(
                *(self._items(call, timeout) for call in calls.job_and_pod_events(ref, ns, name, pods))
            )
            events = logs.event_lines([event for items in listed for event in items])
        return found, events

    async def get_job_events(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Events recorded on the job itself, oldest first."""
        call = calls.list_events(namespace or self.namespace, self._kind(job_kind).kind, name)
        return sorted(await self._items(call, timeout), key=logs.event_time)

    async def _follow(self, call: calls.Call, sink: LineSink) -> str:
        pod_name = call.path.split("/")[-2]
        gathered = []
        async for raw in self.api.lines(call):
            line = raw.decode("utf-8", errors="replace")
            gathered.append(line)
            sink(pod_name, line)
        return "\n".join(gathered)

    # --- plumbing -------------------------------------------------------------------------------------------

    def _kind(self, job_kind: str | None) -> kinds.KindRef:
        return kinds.resolve(job_kind or self.job_kind)

    async def _pods(
        self, name: str, namespace: str | None, job_kind: str | None, timeout: float, *filters: Any
    ) -> list[dict[str, Any]]:
        call = calls.list_pods(self._kind(job_kind), namespace or self.namespace, name, *filters)
        return await self._items(call, timeout)

    async def _items(self, call: calls.Call, timeout: float) -> list[dict[str, Any]]:
        return list((await self.api.request(call, timeout=timeout)).get("items") or [])
