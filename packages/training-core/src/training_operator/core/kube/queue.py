"""The coalescing work queue: one reconcile per job at a time, many jobs at once, timers and back-off.

Semantics (common.md §4, §4.3; ARCHITECTURE "A coalescing work queue"):

* `add(key)` asks for a reconcile now (job created, spec changed); `add(key, delay=w)` for child events folds
  every event of the window `w` into one reconcile; a key has at most one pending due time, the earliest.
* a key is never reconciled twice at once: a request that arrives while it runs is kept and served after.
* at most `workers` keys run concurrently (`--controller-threads`).
* a reconcile that raises is retried after 5 ms doubling up to 1000 s (controller-runtime's per-item
  back-off); a success resets it and may ask for a timer (`Plan.requeue_after`).

Time is the event loop's clock, so tests run it under fake loop time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
log = logging.getLogger(__name__)

BACKOFF_BASE = 0.005
BACKOFF_CAP = 1000.0
_SLACK = 1e-4  # run a key this early rather than spin on a timeout below the clock's resolution


class QueueObserver(Protocol):
    """Where the queue reports depth, waiting time and reconcile durations (the metrics module)."""

    def queue_depth(self, queue: str, depth: int) -> None: ...

    def queue_latency(self, queue: str, seconds: float) -> None: ...

    def reconcile_duration(self, queue: str, seconds: float, *, ok: bool) -> None: ...

    def active_workers(self, queue: str, count: int) -> None: ...


@dataclass(slots=True)
class _State:
    due: float | None = None
    first_asked: float | None = None
    running: bool = False
    failures: int = 0
    forgotten: bool = False


def backoff(failures: int) -> float:
    """Delay before retry number `failures` (1-based): 5 ms, 10 ms, 20 ms … capped at 1000 s."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** min(failures - 1, 40))


class WorkQueue(Generic[K]):
    """Runs `reconcile(key)`; its return value is the timer to set (seconds) or None."""

    def __init__(
        self,
        reconcile: Callable[[K], Awaitable[float | None]],
        *,
        workers: int = 1,
        name: str = "",
        observer: QueueObserver | None = None,
    ) -> None:
        self._reconcile = reconcile
        self._slots = max(1, workers)
        self.name = name
        self._observer = observer
        self._states: dict[K, _State] = {}
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.idle = asyncio.Event()
        self.idle.set()

    def add(self, key: K, *, delay: float = 0.0) -> None:
        """Ask for a reconcile of `key` after `delay` seconds (earlier requests win)."""
        now = asyncio.get_running_loop().time()
        when = now + max(0.0, delay)
        state = self._states.setdefault(key, _State())
        state.forgotten = False
        if state.first_asked is None:
            state.first_asked = now
        if state.due is None or when < state.due:
            state.due = when
            heapq.heappush(self._heap, (when, next(self._seq), key))
            self.idle.clear()
            self._wake.set()
            # only here can the depth change: most adds are a child's watch event folding into a pending
            # reconcile, and counting the depth for each was 7 % of the operator's CPU in the mixed load
            self._report_depth()

    def forget(self, key: K) -> None:
        """Drop pending work and back-off of a deleted job (a running reconcile finishes)."""
        state = self._states.get(key)
        if state is not None and not state.running:
            del self._states[key]
        elif state is not None:
            state.due, state.failures, state.forgotten = None, 0, True
        self._report_depth()

    @property
    def depth(self) -> int:
        """Keys waiting for a reconcile (not counting running ones)."""
        return sum(1 for s in self._states.values() if s.due is not None and not s.running)

    def pending(self, key: K) -> float | None:
        """When `key` is due, if it is."""
        state = self._states.get(key)
        return None if state is None else state.due

    async def run(self) -> None:
        """Dispatch due keys to workers until cancelled (then waits for running reconciles to end)."""
        try:
            while True:
                self._wake.clear()
                timeout = self._dispatch()
                if not self._tasks and all(s.due is None for s in self._states.values()):
                    self.idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _dispatch(self) -> float | None:
        loop = asyncio.get_running_loop()
        while self._heap:
            when, _, key = self._heap[0]
            state = self._states.get(key)
            if state is None or state.due != when or state.running:
                heapq.heappop(self._heap)  # stale, or re-pushed when the running reconcile ends
                continue
            if when > loop.time() + _SLACK:
                return when - loop.time()
            if len(self._tasks) >= self._slots:
                return None  # a finishing worker wakes us
            heapq.heappop(self._heap)
            state.due, state.running = None, True
            task = loop.create_task(self._work(key, state))
            self._tasks.add(task)
            self._report_active()
        return None

    async def _work(self, key: K, state: _State) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        if self._observer is not None and state.first_asked is not None:
            self._observer.queue_latency(self.name, started - state.first_asked)
        state.first_asked = None
        timer: float | None = None
        ok = True
        try:
            timer = await self._reconcile(key)
        except asyncio.CancelledError:
            raise
        except Exception:
            ok = False
            state.failures += 1
            timer = backoff(state.failures)
            log.exception(
                "reconcile of %s failed (attempt %d), retrying in %.3fs", key, state.failures, timer
            )
        else:
            state.failures = 0
        finally:
            state.running = False
            self._tasks.discard(asyncio.current_task())
            if self._observer is not None:
                self._observer.reconcile_duration(self.name, loop.time() - started, ok=ok)
            self._after(key, state, timer)
            self._report_active()

    def _after(self, key: K, state: _State, timer: float | None) -> None:
        if state.forgotten:
            del self._states[key]  # the job went away while it was being reconciled
            self._wake.set()
            return
        if state.due is not None:
            heapq.heappush(self._heap, (state.due, next(self._seq), key))
        if timer is not None:
            self.add(key, delay=timer)
        elif state.due is None and state.failures == 0:
            del self._states[key]
        self._wake.set()
        self._report_depth()

    def _report_depth(self) -> None:
        if self._observer is not None:
            self._observer.queue_depth(self.name, self.depth)

    def _report_active(self) -> None:
        """Reconciles running now: with the depth, what tells "idle" from "about to write"."""
        if self._observer is not None:
            self._observer.active_workers(self.name, len(self._tasks))
