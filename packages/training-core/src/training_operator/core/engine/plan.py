"""A plan: the engine's whole answer for one reconcile, as data the adapter turns into API calls.

Order of execution in the adapter: deletes, claims (adopt or release), creates, updates, then the status
write (only when `status` is not None; first of all for a job whose stored status has no condition yet, so
`Created` shows before any child exists), then the job deletion (TTL), events and metrics. A failed write
stops neither the other children's writes nor the status write; the job is retried with back-off after the
plan, and a later reconcile re-plans from what then exists.

`error` set means "retry with back-off": a framework hook's `ReconcileError` gives a plan with nothing else in
it; the TTL rule's `job completion time is nil, cannot cleanup` keeps the cleanup deletes decided before it
(carry them out) but never a status, as upstream returns before its status write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Create:
    """Create this object (a complete body with apiVersion, kind, metadata.name and namespace)."""

    body: Mapping[str, Any]

    @property
    def kind(self) -> str:
        """The object's kind, e.g. `Pod`."""
        return str(self.body["kind"])

    @property
    def name(self) -> str:
        """The object's deterministic name: a repeated create is a 409, never a duplicate."""
        return str(self.body["metadata"]["name"])


@dataclass(frozen=True, slots=True)
class Update:
    """Merge-patch an existing child so it matches what the job wants (ConfigMap data, HPA, PodGroup)."""

    api_version: str
    kind: str
    name: str
    patch: Mapping[str, Any]
    #: "" patches the object itself; "status" patches its status subresource (MPI clears a Job's startTime)
    subresource: str = ""


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete this child; `uid` is a precondition so a newer object of the same name is never hit."""

    api_version: str
    kind: str
    name: str
    uid: str = ""


@dataclass(frozen=True, slots=True)
class Adopt:
    """Claim an orphan that carries the job's labels: add the job's controller reference to it.

    `uid` is a precondition (controller-runtime's claim): a newer object of the same name is never claimed.
    `keep` lists the orphan's other owner references, for APIs without strategic merge (custom resources).
    """

    api_version: str
    kind: str
    name: str
    uid: str
    owner: Mapping[str, Any]
    keep: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Release:
    """Let go of a child that no longer carries the job's labels: remove the job's owner reference."""

    api_version: str
    kind: str
    name: str
    uid: str
    owner_uid: str
    #: the other owner references, for APIs without strategic merge (as in `Adopt`)
    keep: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Event:
    """A Kubernetes event to record on the job object."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class MetricIncrement:
    """A counter to increment (upstream metric names, common.md §17)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GaugeSet:
    """A gauge to set to `value` (idempotent, unlike a counter), e.g. `mpi_operator_job_info` (mpi.md §17)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    value: float = 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything one reconcile decided."""

    creates: tuple[Create, ...] = ()
    updates: tuple[Update, ...] = ()
    deletes: tuple[Delete, ...] = ()
    status: Mapping[str, Any] | None = None
    events: tuple[Event, ...] = ()
    metrics: tuple[MetricIncrement, ...] = ()
    requeue_after: float | None = None
    delete_job: bool = False
    error: str | None = None
    gauges: tuple[GaugeSet, ...] = ()
    claims: tuple[Adopt | Release, ...] = ()

    @property
    def writes(self) -> int:
        """How many API writes carrying out this plan costs (events not counted)."""
        status_write = 0 if self.status is None else 1
        children = len(self.creates) + len(self.updates) + len(self.deletes) + len(self.claims)
        return children + status_write + int(self.delete_job)

    @property
    def idle(self) -> bool:
        """Nothing to write: the job is exactly as it should be."""
        return self.writes == 0
