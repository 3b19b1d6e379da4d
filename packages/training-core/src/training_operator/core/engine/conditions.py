"""The condition engine (common.md §8; mpi.md §10.1): how one new condition merges into the ordered list.

The order is user-visible (the State printer column reads the last entry), so these rules are replicated
exactly, including the ones that look odd (a new message with the same reason is dropped).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from training_operator.core.api.status import ConditionType

Condition = dict[str, Any]

TRUE = "True"
FALSE = "False"


def find(conditions: Sequence[Condition], type_: str) -> Condition | None:
    """The condition of this type, if present."""
    return next((c for c in conditions if c.get("type") == type_), None)


def is_true(conditions: Sequence[Condition], type_: str) -> bool:
    """A condition of this type exists with status True (only "True" counts)."""
    found = find(conditions, type_)
    return found is not None and found.get("status") == TRUE


def is_finished(conditions: Sequence[Condition]) -> bool:
    """Succeeded=True or Failed=True."""
    return is_true(conditions, ConditionType.SUCCEEDED) or is_true(conditions, ConditionType.FAILED)


def set_condition(
    conditions: Sequence[Condition],
    *,
    type_: str,
    status: str,
    reason: str,
    message: str,
    now: str,
    failed_is_terminal: bool = True,
    finishing_flips_failed: bool = False,
) -> list[Condition] | None:
    """The new list after setting one condition, or None when nothing changes.

    `failed_is_terminal` is the v1 rule (once Failed=True nothing changes); MPIJob v2beta1 does not
    have it but flips an existing Failed to False when finishing (`finishing_flips_failed`).
    """
    if failed_is_terminal and is_true(conditions, ConditionType.FAILED):
        return None
    existing = find(conditions, type_)
    if existing is not None and existing.get("status") == status and existing.get("reason") == reason:
        return None
    transition = now
    if existing is not None and existing.get("status") == status:
        transition = existing.get("lastTransitionTime") or now
    new: Condition = {
        "type": str(type_),  # plain str on the wire, even when given a ConditionType
        "status": status,
        "reason": reason,
        "message": message,
        "lastUpdateTime": now,
        "lastTransitionTime": transition,
    }
    kept: list[Condition] = []
    finishing = type_ in (ConditionType.SUCCEEDED, ConditionType.FAILED)
    for condition in conditions:
        other = condition.get("type")
        if other == type_:
            continue
        if {type_, other} == {ConditionType.RUNNING, ConditionType.RESTARTING}:
            continue
        flip = other == ConditionType.RUNNING or (finishing_flips_failed and other == ConditionType.FAILED)
        if finishing and flip:
            kept.append({**condition, "status": FALSE})
            continue
        kept.append(dict(condition))
    kept.append(new)
    return kept
