"""A token bucket on loop time: client-go's `--kube-api-qps` / `--kube-api-burst` throttle, asyncio-style.

Kept apart from the client so its arithmetic is testable under fake loop time, and so a burst of creates
for a large job cannot starve status writes of other jobs for longer than the bucket allows.
"""

from __future__ import annotations

import asyncio


class TokenBucket:
    """At most `burst` requests at once, refilled at `qps` per second; `qps <= 0` disables throttling."""

    def __init__(self, *, qps: float, burst: int) -> None:
        self.qps = qps
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._stamp: float | None = None
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one request may go out."""
        if self.qps <= 0:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            self._refill(loop.time())
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.qps)
                self._refill(loop.time())
            self._tokens -= 1

    def _refill(self, now: float) -> None:
        if self._stamp is not None:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.qps)
        self._stamp = now
