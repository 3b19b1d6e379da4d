"""The pod, log and event methods of both clients, written once (see `operations` for how).

Kubeflow's shapes: `get_job_pods` returns `kubernetes.client.V1Pod` objects, `get_job_logs` returns
`(log by pod, events by object)`. Followed logs read every selected pod at once, through the driver's
streams (threads for the sync client, tasks for the async one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from training_operator.unified.sdk import calls, jobs, kinds, podoutput, steps
from training_operator.unified.sdk.scope import DEFAULT_TIMEOUT, Scope
from training_operator.unified.sdk.steps import Plan, SendAll

LineSink = Callable[[str, str], object]


class PodOperations(Scope):
    """Read a job's pods, their logs and the job's events."""

    def get_job_pods(
        self,
        name: str,
        namespace: str | None = None,
        is_master: bool = False,
        replica_type: str | None = None,
        replica_index: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_kind: str | None = None,
    ) -> Plan[list[Any]]:
        """The job's pods (`kubernetes.client.V1Pod`), filtered by master role, replica type and index."""
        found = yield from self.pods(
            name, namespace, job_kind, timeout, is_master, replica_type, replica_index
        )
        return podoutput.as_pods(found)

    def get_job_pod_names(
        self,
        name: str,
        namespace: str | None = None,
        is_master: bool = False,
        replica_type: str | None = None,
        replica_index: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        job_kind: str | None = None,
    ) -> Plan[list[str]]:
        """Names of the pods `get_job_pods` returns, in the same order."""
        found = yield from self.pods(
            name, namespace, job_kind, timeout, is_master, replica_type, replica_index
        )
        return [item["metadata"]["name"] for item in found]

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
    ) -> Plan[tuple[dict[str, str], dict[str, list[str]]]]:
        """`(log by pod, events by object)` as Kubeflow returns; `follow` streams every started pod at once
        until all of them end, handing each line to `on_line(pod, line)` as it arrives (default: printed as
        `[Pod p]: line`). To also follow pods that start later, use `stream_logs`."""
        ref, ns = self.kind(job_kind), self.namespace(namespace)
        found = yield from self.pods(name, ns, ref.kind, timeout, is_master, replica_type, replica_index)
        started = [p for p in found if jobs.loggable(p)]
        if follow:
            texts = yield from _follow(ref, ns, started, container, on_line or podoutput.print_line)
        else:
            texts = yield SendAll(tuple(calls.pod_log(ref, ns, p, container) for p in started), timeout)
        by_pod = {p["metadata"]["name"]: str(text) for p, text in zip(started, texts, strict=True)}
        events: dict[str, list[str]] = {}
        if verbose:
            listed = yield SendAll(tuple(calls.job_and_pod_events(ref, ns, name, started)), timeout)
            found = [event for answer in listed for event in answer.get("items") or []]
            events = podoutput.event_lines(found)
        return by_pod, events

    def get_job_events(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[list[dict[str, Any]]]:
        """Events recorded on the job itself, oldest first (a server-side field selector on the job)."""
        call = calls.list_events(self.namespace(namespace), self.kind(job_kind).kind, name)
        found = yield from self.items(call, timeout)
        return sorted(found, key=podoutput.event_time)

    def pods(
        self, name: str, namespace: str | None, job_kind: str | None, timeout: float, *filters: Any
    ) -> Plan[list[dict[str, Any]]]:
        """The job's pods as JSON, selected by Kubeflow's labels (role, type, index narrow it)."""
        call = calls.list_pods(self.kind(job_kind), self.namespace(namespace), name, *filters)
        return (yield from self.items(call, timeout))


def _follow(
    ref: kinds.KindRef, namespace: str, pods: list[dict[str, Any]], container: str | None, sink: LineSink
) -> Plan[list[str]]:
    """Every pod's log streamed at once; each one's lines joined, once every stream has ended."""
    gathered: dict[str, list[str]] = {}
    for pod in pods:
        pod_name = pod["metadata"]["name"]
        gathered[pod_name] = []
        yield steps.Open(pod_name, calls.pod_log(ref, namespace, pod, container, follow=True))
    open_streams = len(pods)
    while open_streams:
        arrival = yield steps.Next()
        if isinstance(arrival, steps.Line):
            gathered[str(arrival.key)].append(arrival.text)
            sink(str(arrival.key), arrival.text)
        elif isinstance(arrival, steps.Ended):
            open_streams -= 1
            if arrival.error is not None:
                sink(str(arrival.key), f"error: {arrival.error}")
    return ["\n".join(gathered[p["metadata"]["name"]]) for p in pods]
