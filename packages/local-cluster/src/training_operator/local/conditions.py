"""Status conditions: set one by type, moving lastTransitionTime only when the status flips.

Pure; the scheduler, the Job controller and the kubelet all write conditions through this so they
follow the same upstream convention.
"""

import copy
from typing import Any


def set_condition(
    conditions: list[dict[str, Any]] | None,
    type_: str,
    status: str,
    *,
    now: str,
    reason: str = "",
    message: str = "",
    probe_time: bool = False,
) -> list[dict[str, Any]]:
    """A new list with the condition of `type_` set (lastTransitionTime kept when status is unchanged)."""
    result = [copy.deepcopy(c) for c in conditions or []]
    for condition in result:
        if condition.get("type") == type_:
            if condition.get("status") != status:
                condition["lastTransitionTime"] = now
            condition["status"] = status
            _set_text(condition, reason, message)
            if probe_time:
                condition["lastProbeTime"] = now
            return result
    condition = {"type": type_, "status": status, "lastTransitionTime": now}
    if probe_time:
        condition["lastProbeTime"] = now
    _set_text(condition, reason, message)
    result.append(condition)
    return result


def _set_text(condition: dict[str, Any], reason: str, message: str) -> None:
    for key, value in (("reason", reason), ("message", message)):
        if value:
            condition[key] = value
        else:
            condition.pop(key, None)


def condition_status(conditions: list[dict[str, Any]] | None, type_: str) -> str | None:
    """ "True"/"False"/"Unknown" for a condition type, or None when absent."""
    for condition in conditions or []:
        if condition.get("type") == type_:
            return str(condition.get("status"))
    return None
