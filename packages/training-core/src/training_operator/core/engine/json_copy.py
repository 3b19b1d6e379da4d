"""A copy of a JSON value (dicts, lists, strings, numbers, booleans, null), for the bodies the engine builds.

Every pod of a replica starts as a copy of its template, so a 1,000-replica job copies the template 1,000
times on the way to its first create. `copy.deepcopy` pays for generality a decoded body never needs (a
memo for cycles and shared objects, a dispatch per value) and was most of the time of such a plan. Shared
objects become separate copies here, which is what a body that is about to be edited wants anyway; a value
of any other type is handed to `copy.deepcopy`, so nothing is ever shared by mistake.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar, cast

T = TypeVar("T")

_IMMUTABLE = frozenset({str, int, float, bool, type(None)})


def json_copy(value: T) -> T:
    """A copy of `value` that shares no dict or list with it."""
    return cast(T, _copied(value))


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: _copied(item) for key, item in value.items()}
    if kind is list:
        return [_copied(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)
