"""Values derived from a whole job, computed once per plan instead of once per pod.

A plug-in's pod hook runs once per pod, with the same job object, while one plan is built. A value derived
from every replica of the job (TF_CONFIG's and MX_CONFIG's cluster of all addresses) was rebuilt for each
pod, so a 1,000-replica job's first plan did a million address computations: 0.76 s for a TFJob and 1.7 s
for an MXJob on our machine, with the event loop, and every other job, waiting. `per_job` keeps a function's
last result for the last job object and arguments it saw. The job is held, so `is` cannot match another job
that reuses a freed address, and job models are never mutated (defaulting returns copies), so a hit is the
value the function would compute. The result is shared by every caller: return immutable values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

J = TypeVar("J")
P = ParamSpec("P")
R = TypeVar("R")


def per_job(func: Callable[Concatenate[J, P], R]) -> Callable[Concatenate[J, P], R]:
    """`func(job, *args)` computed once for consecutive calls with the same job object and equal args."""
    last: list[tuple[Any, tuple[Any, ...], dict[str, Any], R]] = []

    @functools.wraps(func)
    def remembered(job: J, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if last:
            seen_job, seen_args, seen_kwargs, result = last[0]
            if seen_job is job and seen_args == args and seen_kwargs == kwargs:
                return result
        result = func(job, *args, **kwargs)
        last[:] = [(job, args, kwargs, result)]
        return result

    return remembered
