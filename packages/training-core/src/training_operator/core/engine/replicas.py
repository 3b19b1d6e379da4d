"""Slicing a replica type's children into index slots and counting them (common.md §6.2, §6.3, §6.6).

Pods and services share the slot rules, so one generic function serves both; the counting rule is pods only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from training_operator.core import labels
from training_operator.core.api.limits import MAX_REPLICAS
from training_operator.core.engine.observed import PodRecord


class Labelled(Protocol):
    """A child whose operator labels say which slot it fills."""

    @property
    def labels(self) -> Mapping[str, str]:
        """The child's labels."""


ChildT = TypeVar("ChildT", bound=Labelled)


@dataclass(frozen=True, slots=True)
class Slices(Generic[ChildT]):
    """One replica type's children by index: `slots[i]` holds every child labelled with index i."""

    slots: tuple[tuple[ChildT, ...], ...]
    #: children whose index label is missing, not an integer or negative: never counted, always deleted
    strays: tuple[ChildT, ...]


def replica_index(child: Labelled) -> int | None:
    """The parsed replica-index label; None when missing, not a decimal integer, negative (Q5), or at least
    `MAX_REPLICAS` (no job may have such a slot: the child is a stray, and no label sizes the slot list)."""
    raw = child.labels.get(labels.REPLICA_INDEX)
    if raw is None or not raw.strip().lstrip("+-").isdecimal() or len(raw) > LABEL_VALUE_MAX:
        return None
    value = int(raw)
    return value if 0 <= value < MAX_REPLICAS else None


LABEL_VALUE_MAX = 63  # Kubernetes' limit: anything longer did not come from an API server


def of_type(children: Iterable[ChildT], replica_type: str) -> list[ChildT]:
    """The children labelled with this replica type (the label holds the lower-case type)."""
    rt = replica_type.lower()
    return [c for c in children if c.labels.get(labels.REPLICA_TYPE) == rt]


def slice_by_index(children: Sequence[ChildT], replicas: int) -> Slices[ChildT]:
    """Slots 0..max(highest index + 1, replicas) - 1, each with its occupants (§6.2)."""
    indexed: list[tuple[int, ChildT]] = []
    strays: list[ChildT] = []
    for child in children:
        index = replica_index(child)
        if index is None:
            strays.append(child)
        else:
            indexed.append((index, child))
    size = min(max([replicas, *(i + 1 for i, _ in indexed)]), MAX_REPLICAS)  # the planner refuses more
    slots: list[list[ChildT]] = [[] for _ in range(size)]
    for index, child in indexed:
        slots[index].append(child)
    return Slices(tuple(tuple(s) for s in slots), tuple(strays))


@dataclass(frozen=True, slots=True)
class Counts:
    """Pod counts of one replica type as written to `replicaStatuses` (§6.6)."""

    active: int = 0
    succeeded: int = 0
    failed: int = 0

    def add(self, pod: PodRecord) -> Counts:
        """These counts plus one single-occupant pod; Pending and Unknown pods add nothing."""
        if pod.phase == "Running":
            if pod.deleting:
                return Counts(self.active, self.succeeded, self.failed + 1)
            return Counts(self.active + 1, self.succeeded, self.failed)
        if pod.phase == "Succeeded":
            return Counts(self.active, self.succeeded + 1, self.failed)
        if pod.phase == "Failed":
            return Counts(self.active, self.succeeded, self.failed + 1)
        return self

    def wire(self) -> dict[str, int]:
        """The replica status with zero counts omitted, as Go's omitempty writes it."""
        raw = {"active": self.active, "succeeded": self.succeeded, "failed": self.failed}
        return {key: value for key, value in raw.items() if value}
