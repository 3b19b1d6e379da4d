"""Whose child is it: claim orphans, never touch what another controller owns, let go of what stopped
matching, and say what blocks a job (common.md §6.1, §7.1; mpi.md §6; controller-runtime's ClaimObject).

A child's name is deterministic, so an object already sitting at that name decides what happens there:

* controlled by this job and carrying its labels → ours;
* controlled by this job but no longer carrying them → released (our reference removed, not counted);
* an orphan (no controller) that carries them and is not being deleted → adopted (controller reference
  added, with the orphan's uid as precondition) and counted at once, as upstream's claim step does;
* anything else (another controller's, or an orphan that is not this job's) → never touched: the child
  is *blocked*. Each newly blocked child gets one Warning event naming it and its owner, and the job's
  `Blocked` condition lists them until none is left; the rest of the plan goes on. An object that is
  already being deleted holds its name silently: it goes by itself (a job recreated while its
  predecessor's pods terminate just waits for them).

Pure: the kube adapter brings objects it only learns through a 409 into the snapshot, and this module
decides for them exactly as for the objects the watches show.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord
from training_operator.core.engine.plan import Adopt, Release

Child = PodRecord | ServiceRecord | ObjectRecord
REASON = "ErrResourceExists"
#: a job blocked by many objects names the first few; the rest are counted (the status stays small)
MAX_NAMED = 5


class Claim(Enum):
    """What the engine may do with an object at one of its children's names."""

    OURS = "ours"
    ADOPT = "adopt"
    RELEASE = "release"
    FOREIGN = "foreign"


@dataclass(frozen=True, slots=True)
class Blocked:
    """A child the job cannot have because another object holds its name."""

    kind: str
    name: str
    #: `Kind/name` of the object's controller, "" for an orphan
    controller: str = ""

    def message(self, job_kind: str) -> str:
        """Upstream's ErrResourceExists text (mpi.md §16), with the owner named."""
        why = "no controller; its labels do not match the job"
        if self.controller:
            why = f"controlled by {self.controller}"
        text = f'Resource "{self.name}" of Kind "{self.kind}" already exists and is not managed by {job_kind}'
        return f"{text} ({why})"


def claim(record: Child, *, job_uid: str, selector: Mapping[str, str]) -> Claim:
    """controller-runtime's rule: ours, adoptable, to release, or someone else's."""
    carries = _carries(record, selector)
    if record.owner_uid == job_uid:
        return Claim.OURS if carries else Claim.RELEASE
    if not record.owner_uid and carries and not record.deleting:
        return Claim.ADOPT
    return Claim.FOREIGN


def _carries(record: Child, selector: Mapping[str, str]) -> bool:
    found = record.labels
    return all(found.get(key) == value for key, value in selector.items())


def kind_of(record: Child) -> tuple[str, str]:
    """(apiVersion, kind) of a record."""
    if isinstance(record, PodRecord):
        return "v1", "Pod"
    if isinstance(record, ServiceRecord):
        return "v1", "Service"
    return record.api_version, record.kind


def adopt(record: Child, owner: Mapping[str, Any]) -> Adopt:
    """The claim write for an orphan; other owner references are kept (known for whole-body records)."""
    api_version, kind = kind_of(record)
    keep = _other_references(record, lambda ref: not ref.get("controller"))
    return Adopt(api_version, kind, record.name, record.uid, dict(owner), keep)


def release(record: Child) -> Release:
    """The write that removes this job's controller reference from a child that stopped matching."""
    api_version, kind = kind_of(record)
    keep = _other_references(record, lambda ref: ref.get("uid") != record.owner_uid)
    return Release(api_version, kind, record.name, record.uid, record.owner_uid, keep)


def _other_references(
    record: Child, kept: Callable[[Mapping[str, Any]], bool]
) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(record, ObjectRecord):
        return ()  # pods and services are patched with strategic merge, which leaves the others alone
    refs = (record.body.get("metadata") or {}).get("ownerReferences") or []
    return tuple(dict(ref) for ref in refs if kept(ref))


def hold(found: list[Blocked], record: Child) -> None:
    """Note an object that holds a child's name; one being deleted is only waited for, not reported."""
    if not record.deleting:
        found.append(Blocked(kind_of(record)[1], record.name, record.controller))


@dataclass(frozen=True, slots=True)
class Claimed:
    """The objects of one type sorted by `split`: what the job may use, and the writes that claiming takes."""

    ours: tuple[Child, ...]
    claims: tuple[Adopt | Release, ...]


def split(
    records: Sequence[Child], *, job_uid: str, selector: Mapping[str, str], owner: Mapping[str, Any]
) -> Claimed:
    """Ours and adopted records (counted now), with the adopt and release writes for them."""
    ours: list[Child] = []
    claims: list[Adopt | Release] = []
    for record in records:
        decision = claim(record, job_uid=job_uid, selector=selector)
        if decision is Claim.OURS:
            ours.append(record)
        elif decision is Claim.ADOPT:
            ours.append(record)
            claims.append(adopt(record, owner))
        elif decision is Claim.RELEASE:
            claims.append(release(record))
    return Claimed(tuple(ours), tuple(claims))


def report(draft: StatusDraft, job_kind: str, found: Sequence[Blocked]) -> None:
    """Set (or drop) the `Blocked` condition; one Warning event for each child it names for the first time.

    The condition is ours, outside Kubeflow's engine: its message changes with the set of blocked children
    (where §8 would keep the old message), and it is removed when nothing blocks the job any more.
    """
    message = _message(job_kind, found)
    listed = draft.conditions
    existing = conditions.find(listed, ConditionType.BLOCKED)
    if not message:
        if existing is not None:
            draft.status["conditions"] = [c for c in listed if c is not existing]
        return
    before = str((existing or {}).get("message") or "")
    for item in sorted(set(found), key=_order)[:MAX_NAMED]:
        text = item.message(job_kind)
        if text not in before:
            draft.event("Warning", REASON, text)
    if existing is not None and existing.get("message") == message:
        return
    condition = {
        "type": str(ConditionType.BLOCKED),
        "status": conditions.TRUE,
        "reason": REASON,
        "message": message,
        "lastUpdateTime": draft.now,
        "lastTransitionTime": (existing or {}).get("lastTransitionTime") or draft.now,
    }
    if existing is None:
        draft.status["conditions"] = [*listed, condition]
    else:
        draft.status["conditions"] = [condition if c is existing else c for c in listed]


def _order(item: Blocked) -> tuple[str, str]:
    return (item.kind, item.name)


def _message(job_kind: str, found: Sequence[Blocked]) -> str:
    unique = sorted(set(found), key=_order)
    texts = [item.message(job_kind) for item in unique[:MAX_NAMED]]
    if len(unique) > MAX_NAMED:
        texts.append(f"and {len(unique) - MAX_NAMED} more")
    return "; ".join(texts)
