"""A work queue keyed by job, as controller-runtime's: coalescing, never two workers on one key, back-off.

- `add(key, delay)` folds into one pending entry (the earliest due time wins), so a burst of child events
  becomes one reconcile after a short batch window;
- a key being reconciled is never handed out again until `done`; if it was added meanwhile, it is queued once
  more when `done` is called;
- `retry(key)` re-adds with per-key exponential back-off (5 ms doubling to 1000 s), `forget` resets it;
- deadlines and TTLs are just `add(key, delay=requeue_after)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
BACKOFF_FIRST, BACKOFF_MAX = 0.005, 1000.0


class WorkQueue(Generic[K]):
    """Due-time ordered keys, each at most once, each with one worker at a time."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, K]] = []
        self._due: dict[K, float] = {}
        self._active: set[K] = set()
        self._again: dict[K, float] = {}
        self._failures: dict[K, int] = {}
        self._added_at: dict[K, float] = {}
        self._counter = itertools.count()
        self._changed = asyncio.Event()

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def add(self, key: K, delay: float = 0.0) -> None:
        """Reconcile `key` after `delay` seconds (sooner if it is already due sooner)."""
        due = self._now() + max(delay, 0.0)
        if key in self._active:
            self._again[key] = min(due, self._again.get(key, due))
            return
        if key in self._due and self._due[key] <= due:
            return
        self._due[key] = due
        self._added_at.setdefault(key, self._now())
        heapq.heappush(self._heap, (due, next(self._counter), key))
        self._changed.set()

    async def get(self) -> tuple[K, float]:
        """The next due key and how long it waited since first added (for the latency histogram)."""
        while True:
            while self._heap and self._due.get(self._heap[0][2]) != self._heap[0][0]:
                heapq.heappop(self._heap)  # superseded entry
            now = self._now()
            if self._heap and self._heap[0][0] <= now:
                _, _, key = heapq.heappop(self._heap)
                del self._due[key]
                self._active.add(key)
                return key, now - self._added_at.pop(key, now)
            timeout = self._heap[0][0] - now if self._heap else None
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def done(self, key: K) -> None:
        """The worker finished `key`; queue it again if it was added meanwhile."""
        self._active.discard(key)
        if key in self._again:
            due = self._again.pop(key)
            self.add(key, max(0.0, due - self._now()))

    def retry(self, key: K) -> float:
        """Re-add after a failure with exponential back-off; returns the delay."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        delay = min(BACKOFF_FIRST * (2**failures), BACKOFF_MAX)
        self.done(key)
        self.add(key, delay)
        return delay

    def forget(self, key: K) -> None:
        """A success resets the back-off of `key`."""
        self._failures.pop(key, None)

    def discard(self, key: K) -> None:
        """Stop tracking a deleted job (pending timers included)."""
        self._due.pop(key, None)
        self._again.pop(key, None)
        self._failures.pop(key, None)
        self._added_at.pop(key, None)

    def __len__(self) -> int:
        return len(self._due)
