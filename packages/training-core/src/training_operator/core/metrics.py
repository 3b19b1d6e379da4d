"""The operator's Prometheus collectors, registered on a registry the operator passes in (never at import).

Names and labels are Kubeflow's (common.md §17, sdk-and-ops.md C.9) so existing dashboards keep working;
queue depth, queue latency and reconcile duration are ours (the Go operator's workqueue metrics are not part
of the contract). Counters a plug-in names that are not declared here (MPI's `mpi_operator_*`) are created on
first use with the labels it gives, so a new framework needs no change here.

The API client reports every request here (`api_request`): client-go's `rest_client_requests_total` and
`rest_client_request_duration_seconds` under their names and labels, and our own count by Kubernetes verb,
resource and outcome, which is what the benchmarks read to count the operator's writes and reads on any
cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from training_operator.core.engine import draft, restart
from training_operator.core.kube import resources

JOB_LABELS = ("job_namespace", "framework")
JOB_COUNTERS = {
    draft.JOBS_CREATED: "Counts number of jobs created",
    draft.JOBS_DELETED: "Counts number of jobs deleted",
    draft.JOBS_SUCCESSFUL: "Counts number of jobs successful",
    draft.JOBS_FAILED: "Counts number of jobs failed",
    draft.JOBS_RESTARTED: "Counts number of jobs restarted",
    restart.WHOLE_JOB_RESTARTS: "Counts whole-job restarts (runPolicy.wholeJobRestart): every pod restarted",
}
#: common.md §17.2: unlabelled internal counters, served here (upstream registers but never serves them)
INTERNAL_COUNTERS = {
    "created_pods_total": "The number of created pods",
    "deleted_pods_total": "The number of deleted pods",
    "failed_pods_total": "The number of failed pods",
    "succeeded_service_creation_total": "The number of succeeded service creation",
    "failed_service_creation_total": "The number of failed service creation",
    "created_pod_groups_total": "The number of created pod groups",
    "deleted_pod_groups_total": "The number of deleted pod groups",
}
_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
#: client-go's buckets for rest_client_request_duration_seconds
_REQUEST_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)


class Metrics:
    """All collectors of one operator process; also the work queue's observer."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self._counters: dict[str, Counter] = {}
        self._gauges: dict[str, Gauge] = {}
        for name, doc in JOB_COUNTERS.items():
            self._counters[name] = Counter(_base(name), doc, JOB_LABELS, registry=self.registry)
        for name, doc in INTERNAL_COUNTERS.items():
            self._counters[name] = Counter(_base(name), doc, registry=self.registry)
        self.depth = Gauge(
            "training_operator_workqueue_depth",
            "Jobs waiting for a reconcile",
            ["controller"],
            registry=self.registry,
        )
        self.active = Gauge(
            "training_operator_workqueue_active_workers",
            "Reconciles running now (controller-runtime's active_workers)",
            ["controller"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "training_operator_workqueue_queue_duration_seconds",
            "Time from the first request of a reconcile to its start",
            ["controller"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.duration = Histogram(
            "training_operator_reconcile_duration_seconds",
            "Time one reconcile took (plan and writes)",
            ["controller", "result"],
            buckets=_BUCKETS,
            registry=self.registry,
        )

        self._requests_by_code = Counter(
            "rest_client_requests",
            "Number of HTTP requests, partitioned by status code, method, and host (client-go's)",
            ["code", "method", "host"],
            registry=self.registry,
        )
        self._request_latency = Histogram(
            "rest_client_request_duration_seconds",
            "Request latency in seconds, broken down by verb and host (client-go's)",
            ["verb", "host"],
            buckets=_REQUEST_BUCKETS,
            registry=self.registry,
        )
        self._api_requests = Counter(
            "training_operator_api_requests",
            "API requests of the operator by Kubernetes verb, resource and outcome",
            ["verb", "resource", "outcome"],
            registry=self.registry,
        )
        self._request_series: dict[tuple[str, ...], tuple[Any, Any, Any]] = {}
        self.leader = Gauge(
            "leader_election_master_status",
            "1 while this replica leads and reconciles (controller-runtime's name)",
            ["name"],
            registry=self.registry,
        )

    def increment(self, name: str, labels: Mapping[str, str] | None = None, amount: float = 1.0) -> None:
        """Bump a counter by its exposed name (`..._total`), creating an undeclared one on first use."""
        labels = dict(labels or {})
        counter = self._counters.get(name)
        if counter is None:
            counter = Counter(_base(name), name, sorted(labels), registry=self.registry)
            self._counters[name] = counter
        (counter.labels(**labels) if labels else counter).inc(amount)

    def set_gauge(self, name: str, labels: Mapping[str, str] | None = None, value: float = 1.0) -> None:
        """Set a gauge a plug-in names (MPI's `mpi_operator_job_info`), created on first use."""
        labels = dict(labels or {})
        gauge = self._gauges.get(name)
        if gauge is None:
            gauge = Gauge(name, name, sorted(labels), registry=self.registry)
            self._gauges[name] = gauge
        (gauge.labels(**labels) if labels else gauge).set(value)

    def value(self, name: str, labels: Mapping[str, str] | None = None) -> float:
        """The current value of a sample (for tests and the CLI)."""
        found = self.registry.get_sample_value(name, dict(labels or {}))
        return 0.0 if found is None else found

    # --- the API client's observer -------------------------------------------------------------------

    def api_request(
        self, *, host: str, method: str, path: str, code: int, outcome: str, seconds: float
    ) -> None:
        """One request of the API client: its answer's code (0: none came) and how long it took."""
        verb, resource = resources.request_target(method, path)
        key = (host, method, verb, resource, str(code) if code else "<error>", outcome)
        series = self._request_series.get(key)
        if series is None:
            http_method = "GET" if method == "WATCH" else method
            series = (
                self._requests_by_code.labels(code=key[4], method=http_method, host=host),
                self._request_latency.labels(verb=http_method, host=host),
                self._api_requests.labels(verb=verb, resource=resource, outcome=outcome),
            )
            if len(self._request_series) < _SERIES_LIMIT:
                self._request_series[key] = series
        series[0].inc()
        series[1].observe(seconds)
        series[2].inc()

    # --- the work queue's observer -------------------------------------------------------------------

    def queue_depth(self, queue: str, depth: int) -> None:
        """Jobs waiting in one kind's queue."""
        self.depth.labels(controller=queue).set(depth)

    def queue_latency(self, queue: str, seconds: float) -> None:
        """How long a job waited for its reconcile."""
        self.latency.labels(controller=queue).observe(seconds)

    def active_workers(self, queue: str, count: int) -> None:
        """How many reconciles of one kind run at this moment."""
        self.active.labels(controller=queue).set(count)

    def reconcile_duration(self, queue: str, seconds: float, *, ok: bool) -> None:
        """How long a reconcile took and whether it succeeded."""
        self.duration.labels(controller=queue, result="success" if ok else "error").observe(seconds)


_SERIES_LIMIT = 4096  # label children kept at hand; the label sets themselves are bounded by our own paths


def _base(name: str) -> str:
    """prometheus-client appends `_total` to counters itself."""
    return name.removesuffix("_total")


def names(metrics: Sequence[str]) -> list[str]:
    """Exposed counter names, for docs."""
    return [m if m.endswith("_total") else f"{m}_total" for m in metrics]
