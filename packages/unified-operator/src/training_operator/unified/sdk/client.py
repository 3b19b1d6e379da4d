"""TrainingClient: Kubeflow 1.9's `TrainingClient` surface, typed, over the official kubernetes client.

Existing notebooks switch by changing an import. The deliberate differences are listed in docs/sdk.md: jobs
come back as our pydantic models, errors are typed (and still RuntimeError), waits follow a watch instead of
polling, MPIJob is v2beta1, and `job_kind` is accepted on every method.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import kubernetes
import urllib3
from kubernetes.client import ApiClient, CoreV1Api, CustomObjectsApi
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.unified.sdk import connection, errors, jobs, kinds, logs, watching

DEFAULT_TIMEOUT = 120
LineSink = Callable[[str, str], object]

#: Clients from 36 on need the content type spelled out; 35 (Kubeflow's SDK pins <36) rejects the keyword and
#: already sends merge-patch for custom objects.
_MERGE_PATCH: dict[str, Any] = (
    {"_content_type": "application/merge-patch+json"}
    if int(kubernetes.__version__.split(".")[0]) >= 36
    else {}
)


class TrainingClient:
    """Create, read, watch and delete training jobs of every installed kind (sync)."""

    def __init__(
        self,
        config_file: str | None = None,
        context: str | None = None,
        client_configuration: Any = None,
        namespace: str | None = None,
        job_kind: str = "PyTorchJob",
    ) -> None:
        self.job_kind = kinds.resolve(job_kind).kind
        found = connection.connect(
            config_file=config_file,
            context=context,
            client_configuration=client_configuration,
            namespace=namespace,
        )
        self.namespace = found.namespace
        self.api_client = ApiClient(found.configuration)
        self.custom_api = CustomObjectsApi(self.api_client)
        self.core_api = CoreV1Api(self.api_client)

    # --- jobs -----------------------------------------------------------------------------------------------

    def create_job(
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
        created = self._json(
            what,
            self.custom_api.create_namespaced_custom_object,
            ref.group,
            ref.version,
            ns,
            ref.plural,
            body,
            collection=True,
        )
        return jobs.parse_job(created)

    def get_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JobModel:
        """The job as stored now; JobNotFound when it does not exist."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return jobs.parse_job(self._get_body(ref, ns, name, timeout))

    def list_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        label_selector: str | None = None,
    ) -> list[JobModel]:
        """Every job of one kind in the namespace (an empty list when there are none)."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        listed = self._json(
            f"{ref.kind} in {ns}",
            self.custom_api.list_namespaced_custom_object,
            ref.group,
            ref.version,
            ns,
            ref.plural,
            label_selector=label_selector,
            collection=True,
            _request_timeout=timeout,
        )
        return [jobs.parse_job(item) for item in listed.get("items") or []]

    def update_job(
        self, job: Any, name: str | None = None, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch the whole job (maps merge, lists are replaced), as Kubeflow's update_job does."""
        body = jobs.job_body(job)
        if name:
            body["metadata"] = {**(body.get("metadata") or {}), "name": name}
        ref, ns, body = jobs.prepared(body, namespace=namespace, default_namespace=self.namespace)
        jobs.check_kind(ref, job_kind)
        name = body["metadata"]["name"]
        patched = self._json(
            f"{ref.kind} {ns}/{name}",
            self.custom_api.patch_namespaced_custom_object,
            ref.group,
            ref.version,
            ns,
            ref.plural,
            name,
            body,
            **_MERGE_PATCH,
        )
        return jobs.parse_job(patched)

    def delete_job(
        self, name: str, namespace: str | None = None, job_kind: str | None = None, delete_options: Any = None
    ) -> None:
        """Delete the job; the API server's garbage collector removes its pods and services."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        self._json(
            f"{ref.kind} {ns}/{name}",
            self.custom_api.delete_namespaced_custom_object,
            ref.group,
            ref.version,
            ns,
            ref.plural,
            name,
            body=delete_options,
        )

    # --- conditions -----------------------------------------------------------------------------------------

    def get_job_conditions(
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
            job = self.get_job(name, namespace, job_kind, timeout)
        return jobs.conditions(job)

    def is_job_created(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Created condition is True."""
        return jobs.is_true(
            self.get_job_conditions(name, namespace, job_kind, job, timeout), ConditionType.CREATED
        )

    def is_job_running(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Running condition is True."""
        return jobs.is_true(
            self.get_job_conditions(name, namespace, job_kind, job, timeout), ConditionType.RUNNING
        )

    def is_job_restarting(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Restarting condition is True."""
        return jobs.is_true(
            self.get_job_conditions(name, namespace, job_kind, job, timeout), ConditionType.RESTARTING
        )

    def is_job_succeeded(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Succeeded condition is True."""
        return jobs.is_true(
            self.get_job_conditions(name, namespace, job_kind, job, timeout), ConditionType.SUCCEEDED
        )

    def is_job_failed(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Failed condition is True."""
        return jobs.is_true(
            self.get_job_conditions(name, namespace, job_kind, job, timeout), ConditionType.FAILED
        )

    def wait_for_job_conditions(
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
        """Block until an expected condition is True; JobFailed at once on Failed, Timeout after wait_timeout.

        Driven by a watch on this one job, so it returns as soon as the change lands; `polling_interval` is
        accepted for Kubeflow compatibility and unused.
        """
        del polling_interval
        ref, ns = self._kind(job_kind), namespace or self.namespace
        wait = watching.ConditionWait(
            f"{ref.kind} {ns}/{name}", jobs.check_expected(expected_conditions), callback
        )
        deadline = time.monotonic() + wait_timeout
        body = self._get_body(ref, ns, name, timeout)
        while True:
            job = jobs.parse_job(body)
            if wait.observe(job) is jobs.Verdict.REACHED:
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise wait.timeout(wait_timeout)
            changed = next(self._versions(ref, ns, name, job.metadata.resource_version, remaining), None)
            body = changed if changed is not None else self._get_body(ref, ns, name, timeout)

    def _versions(
        self, ref: kinds.KindRef, ns: str, name: str, resource_version: str | None, remaining: float
    ) -> Iterator[dict[str, Any]]:
        """Later versions of the job from one watch request; ends at the deadline or when the stream ends."""
        params = watching.watch_params(name, resource_version, remaining)
        response = self._json(
            f"{ref.kind} {ns}/{name}",
            self.custom_api.list_namespaced_custom_object,
            ref.group,
            ref.version,
            ns,
            ref.plural,
            watch=True,
            field_selector=params["fieldSelector"],
            resource_version=resource_version,
            allow_watch_bookmarks=True,
            timeout_seconds=params["timeoutSeconds"],
            stream=True,
            _request_timeout=(DEFAULT_TIMEOUT, max(remaining, 0.05)),
        )
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                event = watching.decode_event(line)
                if event is None or watching.gone(*event) or event[0] == "BOOKMARK":
                    continue
                if event[0] == "DELETED":
                    raise errors.JobNotFound(f"{ref.kind} {ns}/{name} was deleted while waiting")
                yield dict(event[1])
        except urllib3.exceptions.ReadTimeoutError:
            return
        finally:
            response.release_conn()

    # --- pods, logs, events ---------------------------------------------------------------------------------

    def get_job_pods(
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
        return logs.as_pods(
            self._pod_items(name, namespace, job_kind, is_master, replica_type, replica_index, timeout)
        )

    def get_job_pod_names(
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
        items = self._pod_items(name, namespace, job_kind, is_master, replica_type, replica_index, timeout)
        return [item["metadata"]["name"] for item in items]

    def get_job_logs(
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
        """`(log by pod, events by object)` as Kubeflow returns; `follow` streams every pod until all end.

        Followed lines go to `on_line(pod, line)` as they arrive (default: printed as `[Pod p]: line`).
        """
        ref, ns = self._kind(job_kind), namespace or self.namespace
        pods = self._pod_items(name, ns, ref.kind, is_master, replica_type, replica_index, timeout)
        pods = [p for p in pods if jobs.loggable(p)]
        if follow:
            found = self._follow(ref, ns, pods, on_line or _print_line)
        else:
            found = {p["metadata"]["name"]: self._read_log(ref, ns, p, container, timeout) for p in pods}
        events: dict[str, list[str]] = {}
        if verbose:
            events = logs.event_lines(self.get_job_events(name, ns, ref.kind, timeout))
            for pod in pods:
                events.update(logs.event_lines(self._events(ns, "Pod", pod["metadata"]["name"], timeout)))
        return found, events

    def get_job_events(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Events recorded on the job itself, oldest first."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return sorted(self._events(ns, ref.kind, name, timeout), key=logs.event_time)

    def _events(self, ns: str, kind: str, name: str, timeout: float) -> list[dict[str, Any]]:
        listed = self._json(
            f"events of {kind} {ns}/{name}",
            self.core_api.list_namespaced_event,
            ns,
            field_selector=logs.events_selector(kind, name),
            _request_timeout=timeout,
        )
        return list(listed.get("items") or [])

    def _pod_items(
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
        listed = self._json(
            f"pods of {ref.kind} {ns}/{name}",
            self.core_api.list_namespaced_pod,
            ns,
            label_selector=selector,
            _request_timeout=timeout,
        )
        return list(listed.get("items") or [])

    def _read_log(
        self, ref: kinds.KindRef, ns: str, pod: Mapping[str, Any], container: str | None, timeout: float
    ) -> str:
        pod_name = pod["metadata"]["name"]
        response = self._json(
            f"log of pod {ns}/{pod_name}",
            self.core_api.read_namespaced_pod_log,
            pod_name,
            ns,
            container=jobs.log_container(ref, pod, container),
            stream=True,
            _request_timeout=timeout,
        )
        try:
            return str(response.data.decode("utf-8", errors="replace"))
        finally:
            response.release_conn()

    def _follow(
        self, ref: kinds.KindRef, ns: str, pods: list[dict[str, Any]], sink: LineSink
    ) -> dict[str, str]:
        """One thread per pod feeds a queue; lines are handed on in arrival order until every stream ends."""
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        for pod in pods:
            threading.Thread(target=self._pump, args=(ref, ns, pod, lines), daemon=True).start()
        gathered: dict[str, list[str]] = {p["metadata"]["name"]: [] for p in pods}
        open_streams = len(pods)
        while open_streams:
            pod_name, line = lines.get()
            if line is None:
                open_streams -= 1
                continue
            gathered[pod_name].append(line)
            sink(pod_name, line)
        return {pod_name: "\n".join(found) for pod_name, found in gathered.items()}

    def _pump(self, ref: kinds.KindRef, ns: str, pod: Mapping[str, Any], lines: queue.Queue[Any]) -> None:
        pod_name = pod["metadata"]["name"]
        try:
            response = self._json(
                f"log of pod {ns}/{pod_name}",
                self.core_api.read_namespaced_pod_log,
                pod_name,
                ns,
                container=jobs.log_container(ref, pod, None),
                follow=True,
                stream=True,
            )
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                lines.put((pod_name, line))
        except errors.TrainingError as error:
            lines.put((pod_name, f"error: {error}"))
        finally:
            lines.put((pod_name, None))

    # --- plumbing -------------------------------------------------------------------------------------------

    def _kind(self, job_kind: str | None) -> kinds.KindRef:
        return kinds.resolve(job_kind or self.job_kind)

    def _get_body(self, ref: kinds.KindRef, ns: str, name: str, timeout: float) -> dict[str, Any]:
        return dict(
            self._json(
                f"{ref.kind} {ns}/{name}",
                self.custom_api.get_namespaced_custom_object,
                ref.group,
                ref.version,
                ns,
                ref.plural,
                name,
                _request_timeout=timeout,
            )
        )

    def _json(
        self,
        what: str,
        call: Callable[..., Any],
        *args: Any,
        collection: bool = False,
        stream: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Run one API call raw; map HTTP failures to typed errors; JSON-decode unless `stream`."""
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        try:
            response = call(*args, _preload_content=False, **kwargs)
        except ApiException as error:
            raise errors.from_response(error.status, error.body, what=what, collection=collection) from error
        except urllib3.exceptions.TimeoutError as error:
            raise errors.Timeout(f"{what}: the API server did not answer in time") from error
        except urllib3.exceptions.HTTPError as error:
            raise errors.TrainingError(f"{what}: cannot reach the API server: {error}") from error
        if response.status >= 400:
            raise errors.from_response(response.status, response.data, what=what, collection=collection)
        return response if stream else json.loads(response.data or b"{}")


def _print_line(pod: str, line: str) -> None:
    print(logs.prefixed(pod, line), flush=True)
