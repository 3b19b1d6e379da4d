"""TrainingClient: Kubeflow 1.9's `TrainingClient` surface, typed, over our own small HTTP transport.

Existing notebooks switch by changing an import. The deliberate differences are listed in docs/sdk.md: jobs
come back as our pydantic models, errors are typed (and still RuntimeError), waits follow a watch instead of
polling, MPIJob is v2beta1, and `job_kind` is accepted on every method.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.unified.sdk import calls, connection, errors, jobs, kinds, logs, watching
from training_operator.unified.sdk.transport import SyncApi

DEFAULT_TIMEOUT = 120
LineSink = Callable[[str, str], object]


class TrainingClient:
    """Create, read, watch and delete training jobs of every installed kind (sync)."""

    def __init__(
        self,
        config_file: str | None = None,
        context: str | None = None,
        client_configuration: Any = None,
        namespace: str | None = None,
        job_kind: str = "PyTorchJob",
        strict: bool = True,
    ) -> None:
        """`strict` (ours): refuse a job with fields its kind does not declare, before sending and at the
        server (`fieldValidation=Strict`); False lets a job for a newer operator through to the server."""
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
        self.api = SyncApi(found.credentials)
        self._official: Any = None

    # Kubeflow's attributes, for code that reaches past the client: the official client, built on first use
    # (importing it costs more than a whole CLI command); the SDK itself sends through `api`

    @property
    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` with this client's server, TLS and (refreshing) credentials."""
        if self._official is None:
            self._official = connection.official_client(self.credentials)
        return self._official

    @functools.cached_property
    def custom_api(self) -> Any:
        """`kubernetes.client.CustomObjectsApi` over `api_client`."""
        from kubernetes.client import CustomObjectsApi

        return CustomObjectsApi(self.api_client)

    @functools.cached_property
    def core_api(self) -> Any:
        """`kubernetes.client.CoreV1Api` over `api_client`."""
        from kubernetes.client import CoreV1Api

        return CoreV1Api(self.api_client)

    def close(self) -> None:
        """Release connections (the official client's too, if it was used)."""
        self.api.close()
        if self._official is not None:
            self._official.close()

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
        """Create a job given as our model, a dict, a YAML file path or a Kubeflow SDK model, or built from
        `train_func=`/`base_image=` as Kubeflow's builders do; returns the job as stored."""
        ref, ns, body = jobs.creation(
            job, name, namespace, labels, annotations, job_kind, builder, defaults=self
        )
        return jobs.parse_job(self.api.request(calls.create_job(ref, ns, body, strict=self.strict)))

    def get_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> JobModel:
        """The job as stored now; JobNotFound when it does not exist."""
        call = calls.get_job(self._kind(job_kind), namespace or self.namespace, name)
        return jobs.parse_job(self.api.request(call, timeout=timeout))

    def list_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        label_selector: str | None = None,
    ) -> list[JobModel]:
        """Every job of one kind in the namespace (an empty list when there are none)."""
        call = calls.list_jobs(self._kind(job_kind), namespace or self.namespace, label_selector)
        return [jobs.parse_job(item) for item in self._items(call, timeout)]

    def update_job(
        self, job: Any, name: str | None = None, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch the whole job (maps merge, lists are replaced), as Kubeflow's update_job does."""
        ref, ns, body = jobs.updating(job, name, namespace, self.namespace, job_kind)
        return jobs.parse_job(self.api.request(calls.update_job(ref, ns, body)))

    def delete_job(
        self, name: str, namespace: str | None = None, job_kind: str | None = None, delete_options: Any = None
    ) -> None:
        """Delete the job; the API server's garbage collector removes its pods and services."""
        ref = self._kind(job_kind)
        self.api.request(calls.delete_job(ref, namespace or self.namespace, name, delete_options))

    def set_job_suspended(
        self, name: str, suspend: bool = True, namespace: str | None = None, job_kind: str | None = None
    ) -> JobModel:
        """Merge-patch `spec.runPolicy.suspend`: a suspended job keeps its object but the operator removes
        its pods; resuming (False) lets it start them again."""
        ref, ns = self._kind(job_kind), namespace or self.namespace
        return jobs.parse_job(self.api.request(calls.patch_run_policy(ref, ns, name, suspend=suspend)))

    def get_served_versions(self, job_kind: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
        """The versions the cluster's CRD for the kind serves; [] when the CRD is not installed."""
        try:
            crd = self.api.request(calls.get_crd(self._kind(job_kind)), timeout=timeout)
        except errors.JobNotFound:  # a named GET that 404s: here the CRD itself is missing
            return []
        return calls.served_versions(crd)

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
            job = self.get_job(jobs.required_name(name), namespace, job_kind, timeout)
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
        found = self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.CREATED)

    def is_job_running(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Running condition is True."""
        found = self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RUNNING)

    def is_job_restarting(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Restarting condition is True."""
        found = self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RESTARTING)

    def is_job_succeeded(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Succeeded condition is True."""
        found = self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.SUCCEEDED)

    def is_job_failed(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> bool:
        """Some Failed condition is True."""
        found = self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.FAILED)

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
        expected = jobs.check_expected(expected_conditions)
        wait = watching.ConditionWait(
            f"{ref.kind} {ns}/{name}", expected, callback, wait_timeout=wait_timeout, started=time.monotonic()
        )
        body = self.api.request(calls.get_job(ref, ns, name), timeout=timeout)
        while not isinstance(outcome := wait.step(body, time.monotonic()), JobModel):
            changed = next(
                self._versions(calls.watch_job(ref, ns, name, wait.resource_version, outcome)), None
            )
            body = changed or self.api.request(calls.get_job(ref, ns, name), timeout=timeout)
        return outcome

    def _versions(self, call: calls.Call) -> Iterator[dict[str, Any]]:
        """Later versions of the job from one watch request; ends at the deadline or when the stream ends."""
        read_timeout = max(float(call.params["timeoutSeconds"]), 0.05)
        for line in self.api.lines(call, read_timeout=read_timeout):
            if (version := calls.watched_job(call, line)) is not None:
                yield version

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
            self._pods(name, namespace, job_kind, timeout, is_master, replica_type, replica_index)
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
        items = self._pods(name, namespace, job_kind, timeout, is_master, replica_type, replica_index)
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
        pods = self._pods(name, ns, ref.kind, timeout, is_master, replica_type, replica_index)
        pods = [p for p in pods if jobs.loggable(p)]
        if follow:
            found = self._follow(ref, ns, pods, container, on_line or logs.print_line)
        else:
            found = {
                p["metadata"]["name"]: str(
                    self.api.request(calls.pod_log(ref, ns, p, container), timeout=timeout)
                )
                for p in pods
            }
        events: dict[str, list[str]] = {}
        if verbose:
            event_calls = calls.job_and_pod_events(ref, ns, name, pods)
            events = logs.event_lines([e for call in event_calls for e in self._items(call, timeout)])
        return found, events

    def get_job_events(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> list[dict[str, Any]]:
        """Events recorded on the job itself, oldest first."""
        call = calls.list_events(namespace or self.namespace, self._kind(job_kind).kind, name)
        return sorted(self._items(call, timeout), key=logs.event_time)

    def _follow(
        self, ref: kinds.KindRef, ns: str, pods: list[dict[str, Any]], container: str | None, sink: LineSink
    ) -> dict[str, str]:
        """One thread per pod feeds a queue; lines are handed on in arrival order until every stream ends."""
        lines: queue.Queue[tuple[str, str | None]] = queue.Queue()
        for pod in pods:
            call = calls.pod_log(ref, ns, pod, container, follow=True)
            threading.Thread(
                target=self._pump, args=(pod["metadata"]["name"], call, lines), daemon=True
            ).start()
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

    def _pump(self, pod_name: str, call: calls.Call, lines: queue.Queue[Any]) -> None:
        try:
            for line in self.api.lines(call):
                lines.put((pod_name, line))
        except errors.TrainingError as error:
            lines.put((pod_name, f"error: {error}"))
        finally:
            lines.put((pod_name, None))

    # --- plumbing -------------------------------------------------------------------------------------------

    def _kind(self, job_kind: str | None) -> kinds.KindRef:
        return kinds.resolve(job_kind or self.job_kind)

    def _pods(
        self, name: str, namespace: str | None, job_kind: str | None, timeout: float, *filters: Any
    ) -> list[dict[str, Any]]:
        call = calls.list_pods(self._kind(job_kind), namespace or self.namespace, name, *filters)
        return self._items(call, timeout)

    def _items(self, call: calls.Call, timeout: float) -> list[dict[str, Any]]:
        return list(self.api.request(call, timeout=timeout).get("items") or [])
