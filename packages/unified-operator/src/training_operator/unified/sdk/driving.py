"""The two ways to run the SDK's logic: blocking (urllib3, one thread per open stream) and asyncio (aiohttp,
one task per open stream).

A driver takes a plan from `operations` (a generator of `steps`), performs each step on its transport and
feeds the answer back, until the plan returns (`run`) or for as long as the caller iterates (`iterate`).
Open streams feed one queue, so a plan waits on all of them at once (`Next`); closing the plan closes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import AsyncGenerator, Hashable, Iterator
from typing import Any, TypeVar, cast

from training_operator.unified.sdk import calls, errors, steps
from training_operator.unified.sdk.transport import AsyncApi, SyncApi

T = TypeVar("T")
R = TypeVar("R")


class BlockingDriver:
    """Runs plans in the calling thread; streams are read by daemon threads into one queue."""

    def __init__(self, api: SyncApi) -> None:
        self.api = api

    def run(self, plan: steps.Plan[R]) -> R:
        """The plan's result."""
        stepper = steps.Stepper(plan)
        for _ in self._drive(stepper):
            raise TypeError("a plan handed out values: call it through iterate()")
        return cast(R, stepper.result)

    def iterate(self, plan: steps.Stream[T]) -> Iterator[T]:
        """The values the plan hands out, as they come."""
        return self._drive(steps.Stepper(plan))

    def _drive(self, stepper: steps.Stepper[Any]) -> Iterator[Any]:
        streams = _Threads(self.api)
        try:
            while (step := stepper.advance()) is not None:
                if isinstance(step, steps.Emit):
                    yield step.value
                else:
                    self._perform(step, stepper, streams)
        finally:
            streams.close_all()
            stepper.close()

    def _perform(self, step: steps.Step, stepper: steps.Stepper[Any], streams: _Threads) -> None:
        try:
            if isinstance(step, steps.Send):
                stepper.answer(self.api.request(step.call, timeout=step.timeout))
            elif isinstance(step, steps.SendAll):
                stepper.answer([self.api.request(c, timeout=step.timeout) for c in step.calls])
            elif isinstance(step, steps.Open):
                streams.open(step.key, step.call)
            elif isinstance(step, steps.Close):
                streams.close(step.key)
            elif isinstance(step, steps.Next):
                stepper.answer(streams.next(step.timeout))
            else:
                threading.Event().wait(step.seconds)  # a back-off nothing else can cut short
        except errors.TrainingError as error:
            stepper.fail(error)


class _Pump(threading.Thread):
    """Reads one stream into the shared queue; `stop` ends a blocked read at once."""

    def __init__(self, key: Hashable, call: calls.Call, api: SyncApi, into: queue.Queue[Any]) -> None:
        super().__init__(name=f"sdk-stream-{key}", daemon=True)
        self.key, self.call, self.api, self.into = key, call, api, into
        self.stopped = threading.Event()
        self.response: Any = None

    def run(self) -> None:
        error: errors.TrainingError | None = None
        try:
            for line in self.api.lines(self.call, opened=self._opened):
                if self.stopped.is_set():
                    return
                self.into.put((self, steps.Line(self.key, line)))
        except errors.TrainingError as failure:
            error = failure
        except Exception as failure:  # a read cut by stop(), or a broken connection
            if self.stopped.is_set():
                return
            error = calls.unreachable(self.call, failure)
        self.into.put((self, steps.Ended(self.key, error)))

    def _opened(self, response: Any) -> None:
        self.response = response
        if self.stopped.is_set():
            _shutdown(response)

    def stop(self) -> None:
        self.stopped.set()
        if self.response is not None:
            _shutdown(self.response)


def _shutdown(response: Any) -> None:
    """End a blocked read on `response`; nothing to do once it has been read to its end."""
    with contextlib.suppress(RuntimeError, ValueError, OSError):  # already released to the pool
        response.shutdown()


class _Threads:
    """The open streams of one plan run by the blocking driver."""

    def __init__(self, api: SyncApi) -> None:
        self.api = api
        self.arrivals: queue.Queue[tuple[_Pump, steps.Line | steps.Ended]] = queue.Queue()
        self.pumps: dict[Hashable, _Pump] = {}

    def open(self, key: Hashable, call: calls.Call) -> None:
        self.close(key)
        pump = self.pumps[key] = _Pump(key, call, self.api, self.arrivals)
        pump.start()

    def close(self, key: Hashable) -> None:
        pump = self.pumps.pop(key, None)
        if pump is not None:
            pump.stop()

    def close_all(self) -> None:
        for key in list(self.pumps):
            self.close(key)

    def next(self, timeout: float | None) -> steps.Arrival:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0)
            try:
                pump, arrival = self.arrivals.get(timeout=left)
            except queue.Empty:
                return None
            if self.pumps.get(arrival.key) is not pump:
                continue  # from a stream closed since: nobody asked for it any more
            if isinstance(arrival, steps.Ended):
                del self.pumps[arrival.key]
            return arrival


class AsyncDriver:
    """Runs plans on the running event loop; streams are read by tasks into one queue."""

    def __init__(self, api: AsyncApi) -> None:
        self.api = api

    async def run(self, plan: steps.Plan[R]) -> R:
        """The plan's result."""
        stepper = steps.Stepper(plan)
        async for _ in self._drive(stepper):
            raise TypeError("a plan handed out values: call it through iterate()")
        return cast(R, stepper.result)

    def iterate(self, plan: steps.Stream[T]) -> AsyncGenerator[T, None]:
        """The values the plan hands out, as they come (close it with `aclose()` to stop early)."""
        return self._drive(steps.Stepper(plan))

    async def _drive(self, stepper: steps.Stepper[Any]) -> AsyncGenerator[Any, None]:
        streams = _Tasks(self.api)
        try:
            while (step := stepper.advance()) is not None:
                if isinstance(step, steps.Emit):
                    yield step.value
                else:
                    await self._perform(step, stepper, streams)
        finally:
            await streams.close_all()
            stepper.close()

    async def _perform(self, step: steps.Step, stepper: steps.Stepper[Any], streams: _Tasks) -> None:
        try:
            if isinstance(step, steps.Send):
                stepper.answer(await self.api.request(step.call, timeout=step.timeout))
            elif isinstance(step, steps.SendAll):
                sent = (self.api.request(c, timeout=step.timeout) for c in step.calls)
                stepper.answer(list(await asyncio.gather(*sent)))
            elif isinstance(step, steps.Open):
                streams.open(step.key, step.call)
            elif isinstance(step, steps.Close):
                streams.close(step.key)
            elif isinstance(step, steps.Next):
                stepper.answer(await streams.next(step.timeout))
            else:
                await asyncio.sleep(step.seconds)
        except errors.TrainingError as error:
            stepper.fail(error)


class _Tasks:
    """The open streams of one plan run by the asyncio driver."""

    def __init__(self, api: AsyncApi) -> None:
        self.api = api
        self.arrivals: asyncio.Queue[tuple[asyncio.Task[None], steps.Line | steps.Ended]] = asyncio.Queue()
        self.tasks: dict[Hashable, asyncio.Task[None]] = {}

    def open(self, key: Hashable, call: calls.Call) -> None:
        self.close(key)
        self.tasks[key] = asyncio.create_task(self._pump(key, call), name=f"sdk-stream-{key}")

    async def _pump(self, key: Hashable, call: calls.Call) -> None:
        task = asyncio.current_task()
        assert task is not None
        error: errors.TrainingError | None = None
        try:
            async for line in self.api.lines(call):
                self.arrivals.put_nowait((task, steps.Line(key, line.decode("utf-8", errors="replace"))))
        except errors.TrainingError as failure:
            error = failure
        except Exception as failure:  # anything else that broke the stream: the plan hears of it
            error = calls.unreachable(call, failure)
        self.arrivals.put_nowait((task, steps.Ended(key, error)))

    def close(self, key: Hashable) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            task.cancel()

    async def close_all(self) -> None:
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def next(self, timeout: float | None) -> steps.Arrival:  # noqa: ASYNC109 -- a step's own
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while True:
                    task, arrival = await self.arrivals.get()
                    if self.tasks.get(arrival.key) is not task:
                        continue  # from a stream closed since
                    if isinstance(arrival, steps.Ended):
                        del self.tasks[arrival.key]
                    return arrival
        return None
