"""The event loop the operator runs on: uvloop (MagicStack's libuv loop) where installed, else asyncio's.

The operator's CPU goes mostly to the transport: a request's write, its answer, the watch events it causes,
each an event-loop wake-up and a TLS record. uvloop does that work in C; on the mixed-load benchmark it cut
the operator's CPU per child by 6-20 % (five alternating pairs, 12 % on average) with no change of ours.
kopf, which runs the job watches, picks uvloop itself when it is installed, so it is the loop kopf is used
on. It is a dependency on Linux and macOS; `--event-loop asyncio` keeps the standard loop (to rule the loop
out when chasing a problem).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
CHOICES = ("auto", "asyncio")


def run(main: Coroutine[Any, Any, T], *, choice: str = "auto") -> T:
    """Run `main` to completion on the chosen loop, as `asyncio.run` does."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop for "auto" when it imports; None (asyncio's default) otherwise."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        log.debug("uvloop is not installed: running on asyncio's event loop")
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory
