"""A local cluster on a background thread, for synchronous tests and tools in other packages.

The official kubernetes client and kubectl block; running the cluster on its own event loop in a thread lets
them talk to it from ordinary test code (`with BackgroundCluster(tmp_path) as cluster: ...`).
"""

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from training_operator.local.cluster import LocalCluster

T = TypeVar("T")


class BackgroundCluster:
    """Starts a `LocalCluster(state_dir, **options)` in a daemon thread; `call()` runs code on its loop."""

    def __init__(self, state_dir: Path | str, **options: Any) -> None:
        self.cluster = LocalCluster(state_dir, **options)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-cluster", daemon=True)

    def __enter__(self) -> LocalCluster:
        self._thread.start()
        self.call(self.cluster.start)
        return self.cluster

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.call(self.cluster.stop, timeout=60)
            self.call(self._drain)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    @staticmethod
    async def _drain() -> None:
        """Let closing transports finish and cancel stragglers, so nothing is left for the loop's close."""
        await asyncio.sleep(0.05)
        current = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not current]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await asyncio.sleep(0)

    def call(self, function: Callable[[], Awaitable[T]], *, timeout: float = 30) -> T:
        """Run a coroutine function on the cluster's loop and wait for its result."""

        async def wrapper() -> T:
            return await function()

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout)

    def __repr__(self) -> str:
        return f"BackgroundCluster({self.cluster.state_dir!s})"
