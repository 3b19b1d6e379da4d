"""The work queue, under fake loop time (a loop whose clock jumps to the next timer instead of sleeping):

* child events within the window fold into one reconcile; a job change runs at once;
* one job never reconciles twice at once, a request during a run is served after it;
* different jobs run concurrently up to the worker bound;
* failures back off 5 ms doubling to 1000 s, a success resets; plan timers fire on time.
"""

import asyncio
import contextlib
import functools

import pytest

from training_operator.core.kube.queue import WorkQueue, backoff

pytestmark = pytest.mark.timeout(5)


class FakeTimeLoop(asyncio.SelectorEventLoop):
    """Never waits: when nothing is ready, the clock jumps by the timeout the loop would have slept."""

    def __init__(self):
        super().__init__()
        self._now = 1000.0
        real_select = self._selector.select  # type: ignore[attr-defined]

        def select(timeout=None):
            ready = real_select(0)
            if not ready and timeout:
                self._now += timeout
            return ready

        self._selector.select = select  # type: ignore[attr-defined]

    def time(self):
        return self._now


def fake_time(test):
    """Run an async test body on its own fake-time loop (a plain sync test to pytest)."""

    @functools.wraps(test)
    def run():
        loop = FakeTimeLoop()
        try:
            loop.run_until_complete(test())
        finally:
            loop.close()

    return run


class Recorder:
    def __init__(self, *, duration=0.0, fail=0, timer=None):
        self.calls: list[tuple[str, float]] = []
        self.running: set[str] = set()
        self.max_parallel = 0
        self.overlap = False
        self.duration = duration
        self.fail = fail
        self.timer = timer

    async def __call__(self, key):
        loop = asyncio.get_running_loop()
        if key in self.running:
            self.overlap = True
        self.running.add(key)
        self.max_parallel = max(self.max_parallel, len(self.running))
        self.calls.append((key, round(loop.time(), 4)))
        try:
            await asyncio.sleep(self.duration)
            if self.fail:
                self.fail -= 1
                raise RuntimeError("boom")
            return self.timer
        finally:
            self.running.discard(key)


@contextlib.asynccontextmanager
async def running(queue):
    task = asyncio.create_task(queue.run())
    try:
        yield queue
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@fake_time
async def test_child_events_within_the_window_fold_into_one_reconcile():
    rec = Recorder()
    async with running(WorkQueue(rec)) as queue:
        t0 = asyncio.get_running_loop().time()
        for _ in range(5):
            queue.add("a", delay=0.05)
            await asyncio.sleep(0.01)
        await asyncio.sleep(1)
    assert [(k, round(t - t0, 3)) for k, t in rec.calls] == [("a", 0.05)]


@fake_time
async def test_a_job_change_runs_at_once_even_with_a_child_event_pending():
    rec = Recorder()
    async with running(WorkQueue(rec)) as queue:
        t0 = asyncio.get_running_loop().time()
        queue.add("a", delay=0.05)
        queue.add("a")
        await asyncio.sleep(1)
    assert [round(t - t0, 3) for _, t in rec.calls] == [0.0]


@fake_time
async def test_one_job_never_reconciles_concurrently_and_a_request_during_a_run_is_served_after():
    rec = Recorder(duration=1.0)
    async with running(WorkQueue(rec, workers=4)) as queue:
        t0 = asyncio.get_running_loop().time()
        queue.add("a")
        await asyncio.sleep(0.5)
        queue.add("a")
        queue.add("a")
        await asyncio.sleep(5)
    assert not rec.overlap
    assert [round(t - t0, 3) for _, t in rec.calls] == [0.0, 1.0]


@fake_time
async def test_different_jobs_run_concurrently_up_to_the_worker_bound():
    rec = Recorder(duration=1.0)
    async with running(WorkQueue(rec, workers=2)) as queue:
        t0 = asyncio.get_running_loop().time()
        for key in "abcde":
            queue.add(key)
        await asyncio.sleep(10)
    assert rec.max_parallel == 2
    assert sorted(round(t - t0, 3) for _, t in rec.calls) == [0.0, 0.0, 1.0, 1.0, 2.0]


@fake_time
async def test_failures_back_off_exponentially_and_a_success_stops_retrying():
    rec = Recorder(fail=4)
    async with running(WorkQueue(rec)) as queue:
        t0 = asyncio.get_running_loop().time()
        queue.add("a")
        await asyncio.sleep(10)
    assert [round(t - t0, 3) for _, t in rec.calls] == [0.0, 0.005, 0.015, 0.035, 0.075]


def test_backoff_doubles_from_5ms_and_caps_at_1000s():
    assert [backoff(n) for n in (1, 2, 3)] == [0.005, 0.01, 0.02]
    assert backoff(30) == 1000.0
    assert backoff(10_000) == 1000.0


@fake_time
async def test_a_plan_timer_reconciles_again_after_requeue_after():
    rec = Recorder(timer=30.0)
    async with running(WorkQueue(rec)) as queue:
        t0 = asyncio.get_running_loop().time()
        queue.add("a")
        await asyncio.sleep(65)
    assert [round(t - t0, 3) for _, t in rec.calls] == [0.0, 30.0, 60.0]


@fake_time
async def test_a_forgotten_job_is_not_reconciled():
    rec = Recorder(timer=30.0)
    async with running(WorkQueue(rec)) as queue:
        queue.add("a")
        await asyncio.sleep(1)
        queue.forget("a")
        await asyncio.sleep(100)
    assert len(rec.calls) == 1
    assert queue.pending("a") is None
