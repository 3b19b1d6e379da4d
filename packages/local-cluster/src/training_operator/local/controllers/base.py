"""The reconcile loop every built-in controller shares: a de-duplicating keyed queue fed by the change feed.

Controllers name the changes they care about (`keys_for`) and reconcile one key at a time; a 409 (someone
wrote in between) or a crash requeues the key, and a reconcile may ask to be called again after a delay.
"""

import asyncio
import logging
from collections.abc import Hashable, Iterable

from training_operator.local import errors
from training_operator.local.registry import Registry
from training_operator.local.storage import Change

log = logging.getLogger(__name__)


class Controller:
    """Subclasses set `watched` and implement `keys_for` and `reconcile`."""

    watched: frozenset[str] = frozenset()  # storage keys ("group/plural"); empty: every resource

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._queue: asyncio.Queue[Hashable] = asyncio.Queue()
        self._pending: set[Hashable] = set()
        self._timers: dict[Hashable, asyncio.TimerHandle] = {}

    def keys_for(self, change: Change) -> Iterable[Hashable]:
        """Keys to reconcile because of one change."""
        raise NotImplementedError

    def initial_keys(self) -> Iterable[Hashable]:
        """Keys to reconcile once at start-up (objects stored before this process started)."""
        return ()

    async def reconcile(self, key: Hashable) -> float | None:
        """Bring one key to its desired state; return seconds until it should be looked at again."""
        raise NotImplementedError

    def enqueue(self, key: Hashable) -> None:
        """Queue a key unless it is already queued."""
        if key not in self._pending:
            self._pending.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: Hashable, delay: float) -> None:
        """Queue a key after `delay` seconds (an earlier timer for the same key wins)."""
        loop = asyncio.get_running_loop()
        existing = self._timers.get(key)
        when = loop.time() + delay
        if existing is not None:
            if existing.when() <= when:
                return
            existing.cancel()
        self._timers[key] = loop.call_at(when, self._fire, key)

    def _fire(self, key: Hashable) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    def _on_change(self, change: Change) -> None:
        if self.watched and change.resource not in self.watched:
            return
        for key in self.keys_for(change):
            self.enqueue(key)

    async def run(self) -> None:
        """Process keys until cancelled."""
        self.registry.storage.listen(self._on_change)
        for key in self.initial_keys():
            self.enqueue(key)
        try:
            while True:
                key = await self._queue.get()
                self._pending.discard(key)
                try:
                    delay = await self.reconcile(key)
                except errors.ApiError as exc:
                    delay = 0.05 if exc.code in (409, 429, 500) else None
                    if exc.code not in (404, 409):
                        log.warning("%s: %s while reconciling %s", type(self).__name__, exc.message, key)
                except Exception:
                    log.exception("%s failed on %s", type(self).__name__, key)
                    delay = 1.0
                if delay is not None:
                    self.enqueue_after(key, delay)
        finally:
            self.registry.storage.unlisten(self._on_change)
            for timer in self._timers.values():
                timer.cancel()
