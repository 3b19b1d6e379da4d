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
from training_operator.unified.sdk import connection, errors, jobs, kinds, logs, watching
from training_operator.unified.sdk.transport import AsyncApi, core_path, job_path

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
    ) -> None:
        self.job_kind = kinds.resolve(job_kind).kind
        found = connection.connect(
            config_file=config_file,
            context=context,
            client_configuration=client_configuration,
            namespace=namespace,
        )
        self.namespace = found.namespace
        self.api = AsyncApi(found.configuration, session)

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
        """Create a job given as our model, a dict, a YAML file path or a Kubeflow SDK model; returns it."""
        ref, ns, body = jobs.creation(
            job, name, namespace, self.namespace, labels, annotations, job_kind, builder
        )
        what = f"{ref.kind} {ns}/{body['metadata'].get('name')}"
        created = await self.api.request("POST", job_path(ref, ns), what=what, body=body, collection=True)
        return jobs.parse_job(created)

    async def get_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JobModel:
        """The job as stored now; JobNotFound when it does not exist."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return jobs.parse_job(await self._get_body(ref, ns, name, timeout))

    async def list_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        label_selector: str | None = None,
    ) -> list[JobModel]:
        """Every job of one kind in the namespace (an empty list when there are none)."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        listed = await self.api.request(
            "GET",
            job_path(ref, ns),
            what=f"{ref.kind} in {ns}",
            collection=True,
            params={"labelSelector": label_selector},
            timeout=timeout,
        )
        return [jobs.parse_job(item) for item in listed.get("items") or []]

    async def update_job(
        self, job: Any, name: str | None = None, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch the whole job (maps merge, lists are replaced), as Kubeflow's update_job does."""
        body = jobs.job_body(job)
        if name:
            body["metadata"] = {**(body.get("metadata") or {}), "name": name}
        ref, ns, body = jobs.prepared(body, namespace=namespace, default_namespace=self.namespace)
        jobs.check_kind(ref, job_kind)
        name = body["metadata"]["name"]
        patched = await self.api.request(
            "PATCH",
            job_path(ref, ns, name),
            what=f"{ref.kind} {ns}/{name}",
            body=body,
            content_type="application/merge-patch+json",
        )
        return jobs.parse_job(patched)

    async def delete_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        delete_options: Mapping[str, Any] | None = None,
    ) -> None:
        """Delete the job; the API server's garbage collector removes its pods and services."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        await self.api.request(
            "DELETE", job_path(ref, ns, name), what=f"{ref.kind} {ns}/{name}", body=delete_options
        )

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
            if not name:
                raise ValueError("pass name= or job=")
            job = await self.get_job(name, namespace, job_kind, timeout)
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
        wait = watching.ConditionWait(
            f"{ref.kind} {ns}/{name}", jobs.check_expected(expected_conditions), callback
        )
        deadline = time.monotonic() + wait_timeout
        body = await self._get_body(ref, ns, name, timeout)
        while True:
            job = jobs.parse_job(body)
            if wait.observe(job) is jobs.Verdict.REACHED:
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise wait.timeout(wait_timeout)
            try:
                async with asyncio.timeout(remaining):
                    changed = await anext(
                        self._versions(ref, ns, name, job.metadata.resource_version, remaining), None
                    )
            except TimeoutError:
                changed = None
            body = changed if changed is not None else await self._get_body(ref, ns, name, timeout)

    async def _versions(
        self, ref: kinds.KindRef, ns: str, name: str, resource_version: str | None, remaining: float
    ) -> AsyncIterator[dict[str, Any]]:
        params = watching.watch_params(name, resource_version, remaining)
        async for line in self.api.lines(job_path(ref, ns), what=f"{ref.kind} {ns}/{name}", params=params):
            event = watching.decode_event(line)
            if event is None or watching.gone(*event) or event[0] == "BOOKMARK":
                continue
            if event[0] == "DELETED":
                raise errors.JobNotFound(f"{ref.kind} {ns}/{name} was deleted while waiting")
            yield dict(event[1])

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
        items = await self._pod_items(
            name, namespace, job_kind, is_master, replica_type, replica_index, timeout
        )
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
        items = await self._pod_items(
            name, namespace, job_kind, is_master, replica_type, replica_index, timeout
        )
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
        pods = await self._pod_items(name, ns, ref.kind, is_master, replica_type, replica_index, timeout)
        pods = [p for p in pods if jobs.loggable(p)]
        if follow:
            sink = on_line or (lambda pod, line: print(logs.prefixed(pod, line), flush=True))
            texts = await asyncio.gather(*(self._follow(ref, ns, p, container, sink) for p in pods))
        else:
            texts = await asyncio.gather(*(self._read_log(ref, ns, p, container, timeout) for p in pods))
        found = {p["metadata"]["name"]: text for p, text in zip(pods, texts, strict=True)}
        events: dict[str, list[str]] = {}
        if verbose:
            events = logs.event_lines(await self.get_job_events(name, ns, ref.kind, timeout))
            for pod in pods:
                events.update(
                    logs.event_lines(await self._events(ns, "Pod", pod["metadata"]["name"], timeout))
                )
        return found, events

    async def get_job_events(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Events recorded on the job itself, oldest first."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return sorted(await self._events(ns, ref.kind, name, timeout), key=logs.event_time)

    async def _events(self, ns: str, kind: str, name: str, timeout: float) -> list[dict[str, Any]]:
        listed = await self.api.request(
            "GET",
            core_path(ns, "events"),
            what=f"events of {kind} {ns}/{name}",
            params={"fieldSelector": logs.events_selector(kind, name)},
            timeout=timeout,
        )
        return list(listed.get("items") or [])

    async def _pod_items(
        self,
        name: str,
        namespace: str | None,
        job_kind: str | None,
        is_master: bool,
        replica_type: str | None,
        replica_index: int | None,
        timeout: float,
    ) -> list[dict[str, Any]]:
        ref, ns = self._kind(job_kind), namespace or self.namespace
        selector = jobs.pod_selector(
            ref, name, is_master=is_master, replica_type=replica_type, replica_index=replica_index
        )
        listed = await self.api.request(
            "GET",
            core_path(ns, "pods"),
            what=f"pods of {ref.kind} {ns}/{name}",
            params={"labelSelector": selector},
            timeout=timeout,
        )
        return list(listed.get("items") or [])

    async def _read_log(
        self, ref: kinds.KindRef, ns: str, pod: Mapping[str, Any], container: str | None, timeout: float
    ) -> str:
        pod_name = pod["metadata"]["name"]
        params = {"container": jobs.log_container(ref, pod, container)}
        text = await self.api.request(
            "GET",
            core_path(ns, f"pods/{pod_name}/log"),
            what=f"log of pod {pod_name}",
            params=params,
            timeout=timeout,
        )
        return str(text)

    async def _follow(
        self, ref: kinds.KindRef, ns: str, pod: Mapping[str, Any], container: str | None, sink: LineSink
    ) -> str:
        pod_name = pod["metadata"]["name"]
        params = {"container": jobs.log_container(ref, pod, container), "follow": "true"}
        gathered = []
        async for raw in self.api.lines(
            core_path(ns, f"pods/{pod_name}/log"), what=f"log of pod {pod_name}", params=params
        ):
            line = raw.decode("utf-8", errors="replace")
            gathered.append(line)
            sink(pod_name, line)
        return "\n".join(gathered)

    # --- plumbing -------------------------------------------------------------------------------------------

    def _kind(self, job_kind: str | None) -> kinds.KindRef:
        return kinds.resolve(job_kind or self.job_kind)

    async def _get_body(self, ref: kinds.KindRef, ns: str, name: str, timeout: float) -> dict[str, Any]:
        body = await self.api.request(
            "GET", job_path(ref, ns, name), what=f"{ref.kind} {ns}/{name}", timeout=timeout
        )
        return dict(body)
