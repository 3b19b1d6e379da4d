"""What the engine sees of a job's children: slim, frozen records built by the adapter's index.

Only what some rule reads is kept (phase, exit codes, restart counts, owner, the operator's labels), so the
index stays small for tens of thousands of pods and the engine never touches a full pod dict. Objects that
exist once per job (launcher Job, ConfigMap, Secret, HPA, PodGroup) are kept whole in `ObjectRecord.body`
(Secret values stripped), because their contents are compared with what the job wants.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


class FrozenLabels(Mapping[str, str]):
    """An immutable label map stored as a tuple of pairs: a third of a dict's size, hashable, and shareable
    between the children that carry exactly the same labels (a pod and its headless service)."""

    __slots__ = ("_pairs",)

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._pairs = pairs

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The (key, value) pairs, sorted by key."""
        return self._pairs

    def __getitem__(self, key: str) -> str:
        for name, value in self._pairs:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __hash__(self) -> int:
        return hash(self._pairs)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenLabels):
            return self._pairs == other._pairs
        return isinstance(other, Mapping) and dict(self._pairs) == dict(other.items())

    def __repr__(self) -> str:
        return f"FrozenLabels({dict(self._pairs)!r})"


@dataclass(frozen=True, slots=True)
class ContainerRecord:
    """One container's status, as far as restart, failure and abnormal-pod rules need it."""

    name: str
    restart_count: int = 0
    exit_code: int | None = None
    terminated_reason: str = ""
    terminated_message: str = ""
    waiting_reason: str = ""
    waiting_message: str = ""
    running: bool = False


@dataclass(frozen=True, slots=True)
class PodConditionRecord:
    """A pod condition (type, status, reason, message, lastTransitionTime)."""

    type: str
    status: str
    reason: str = ""
    message: str = ""
    last_transition_time: str = ""


@dataclass(frozen=True, slots=True)
class PodRecord:
    """A pod the job may own."""

    name: str
    uid: str = ""
    owner_uid: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    phase: str = "Pending"
    deleting: bool = False
    reason: str = ""
    message: str = ""
    containers: tuple[ContainerRecord, ...] = ()
    init_containers: tuple[ContainerRecord, ...] = ()
    conditions: tuple[PodConditionRecord, ...] = ()
    creation_timestamp: str = ""
    #: `Kind/name` of the controller owner ("" for an orphan): named when the object blocks a job
    controller: str = ""

    @property
    def ready(self) -> bool:
        """The pod's Ready condition is True."""
        return any(c.type == "Ready" and c.status == "True" for c in self.conditions)

    def container(self, name: str) -> ContainerRecord | None:
        """The status of the named container, if the kubelet reported one."""
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """A service the job may own."""

    name: str
    uid: str = ""
    owner_uid: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    deleting: bool = False
    #: `spec.selector` / `spec.publishNotReadyAddresses`; None when the index did not record them, so a
    #: rule that reconciles them (MPI's headless Service, mpi.md §8.1) knows not to compare
    selector: Mapping[str, str] | None = None
    publish_not_ready_addresses: bool | None = None
    controller: str = ""


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """Any other child (batch Job, ConfigMap, Secret, HPA, PodGroup), kept whole because it is one per job."""

    api_version: str
    kind: str
    name: str
    uid: str = ""
    owner_uid: str = ""
    deleting: bool = False
    body: Mapping[str, Any] = field(default_factory=dict)
    controller: str = ""

    @property
    def labels(self) -> Mapping[str, str]:
        """The object's labels (its body is kept whole)."""
        return dict((self.body.get("metadata") or {}).get("labels") or {})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything that exists for one job, as the index saw it when the reconcile started."""

    pods: tuple[PodRecord, ...] = ()
    services: tuple[ServiceRecord, ...] = ()
    objects: tuple[ObjectRecord, ...] = ()
    #: PriorityClass name → value (cluster-scoped; watched while gang scheduling is on), as the adapter saw
    #: them when the reconcile started: PodGroup minResources ranks replica types by them (common.md §14.3)
    priority_classes: Mapping[str, int] = field(default_factory=dict)
    #: a fresh SSH key pair `(private PEM, public OpenSSH line)` the adapter generated for this reconcile,
    #: present only when the framework asked for one (`Framework.wants_key_pair`; MPIJob's Secret)
    key_pair: tuple[bytes, bytes] | None = None
    #: (kind, name) → record, built on the first look-up: every create a plan makes asks whether its name is
    #: free, so a linear search made a half-started 1,000-replica job's plan quadratic
    _by_name: dict[tuple[str, str], PodRecord | ServiceRecord | ObjectRecord] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def object(self, kind: str, name: str) -> ObjectRecord | None:
        """The child of this kind and name, if one exists."""
        record = self.named(kind, name)
        return record if isinstance(record, ObjectRecord) else None

    def named(self, kind: str, name: str) -> PodRecord | ServiceRecord | ObjectRecord | None:
        """Whatever the snapshot holds at this kind and name, whoever owns it (the first seen, should the
        index ever hold two)."""
        if not self._by_name and (self.pods or self.services or self.objects):
            by_name = self._by_name
            for pod in self.pods:
                by_name.setdefault(("Pod", pod.name), pod)
            for service in self.services:
                by_name.setdefault(("Service", service.name), service)
            for other in self.objects:
                by_name.setdefault((other.kind, other.name), other)
        return self._by_name.get((kind, name))

    def owned_pods(self, owner_uid: str) -> tuple[PodRecord, ...]:
        """Pods whose controller is `owner_uid` (others are never counted or deleted)."""
        return tuple(p for p in self.pods if p.owner_uid == owner_uid)

    def owned_services(self, owner_uid: str) -> tuple[ServiceRecord, ...]:
        """Services whose controller is `owner_uid`."""
        return tuple(s for s in self.services if s.owner_uid == owner_uid)
