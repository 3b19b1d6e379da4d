"""Events are written in the background, as client-go's broadcaster writes them:

* a reconcile's creates and status write do not wait for event writes, so an events endpoint that hangs
  cannot stall a job (before, every child's create waited for its SuccessfulCreate event);
* the writes go out in the order they were recorded, so a repeat's count patch follows the Event's create;
* an Event whose create failed is created anew by the next repeat, not patched;
* the queue is bounded (past it, events are dropped), and a process that lost leadership drops what is
  queued instead of writing it;
* a stop waits a bounded time for the queue, then drops the rest.
"""

import asyncio

from training_operator.core.engine.plan import Create, Event, Plan
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import Writer
from training_operator.core.metrics import Metrics
from training_operator.core.testing.demo_kind import DemoFramework, a_stored_body, owner_reference

KIND = DemoFramework.kind
KEY = JobKey("DemoJob", "default", "job-a")
JOB = a_stored_body()
OWNER = owner_reference()


class HungEvents:
    """An API server whose events endpoint hangs until `release` is set; the rest answers at once."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls: list[tuple[str, str]] = []
        self.fail_event_creates = 0

    async def request(self, method, path, *, params=None, body=None, content_type="application/json"):
        self.calls.append((method, path))
        if "/events" in path:
            await self.release.wait()
            if method == "POST" and self.fail_event_creates:
                self.fail_event_creates -= 1
                raise ApiError(500, "InternalError", "etcd timed out")
            return body
        return {**(body or {}), "metadata": {**(body or {}).get("metadata", {}), "uid": "uid-x"}}

    def events(self) -> list[str]:
        return [method for method, path in self.calls if "/events" in path]


def pod(name: str) -> Create:
    meta = {"name": name, "namespace": "default", "ownerReferences": [OWNER]}
    return Create({"apiVersion": "v1", "kind": "Pod", "metadata": meta})


def job(uid: str = "job-uid") -> dict:
    return {**JOB, "metadata": {**JOB["metadata"], "uid": uid}}


async def test_a_hung_events_endpoint_does_not_hold_up_creates_or_the_status():
    client = HungEvents()
    recorder = EventRecorder(client)
    writer = Writer(client, Index([KIND]), recorder=recorder, metrics=Metrics())
    plan = Plan(
        creates=tuple(pod(f"job-a-worker-{i}") for i in range(3)),
        status={"conditions": [{"type": "Created", "status": "True"}]},
        events=(Event("Normal", "DemoJobCreated", "created"),),
    )

    await asyncio.wait_for(writer.execute(plan, key=KEY, job=JOB, kind=KIND), 5)

    writes = [path.rsplit("/", 1)[-1] for method, path in client.calls if "/events" not in path]
    assert writes == ["status", "pods", "pods", "pods"]  # Created first, then every child
    assert client.events() == ["POST"]  # the first event is in flight, the other three wait behind it
    client.release.set()
    await recorder.flush()
    assert client.events() == ["POST"] * 4


async def test_a_repeat_is_patched_after_its_create_and_a_failed_create_is_made_again():
    client = HungEvents()
    recorder = EventRecorder(client)
    exited = Event("Warning", "ExitedWithCode", "code 1")
    for _ in range(3):
        recorder.record(JOB, exited, component="c")
    client.release.set()
    await recorder.flush()
    assert client.events() == ["POST", "PATCH", "PATCH"]

    client.calls.clear()
    client.fail_event_creates = 1
    other = Event("Warning", "Other", "refused once")
    recorder.record(JOB, other, component="c")
    await recorder.flush()
    recorder.record(JOB, other, component="c")
    await recorder.flush()
    assert client.events() == ["POST", "POST"]  # the first create failed: the repeat creates, not patches


async def test_the_queue_is_bounded():
    client = HungEvents()
    recorder = EventRecorder(client, max_queued=2)
    for uid in ("a", "b", "c", "d"):
        recorder.record(job(uid), Event("Normal", "R", "m"), component="c")
    client.release.set()
    await recorder.flush()
    assert client.events() == ["POST"] * 2  # two queued; the third and fourth found the queue full


async def test_leadership_lost_drops_what_is_queued():
    client = HungEvents()
    recorder = EventRecorder(client)
    for uid in ("a", "b", "c"):
        recorder.record(job(uid), Event("Normal", "R", "m"), component="c")
    await asyncio.sleep(0)
    recorder.discard()
    client.release.set()
    await recorder.flush()
    assert client.events() == ["POST"]  # only the one already sent before the loss


async def test_a_stop_waits_a_bounded_time_for_a_hung_endpoint():
    client = HungEvents()
    recorder = EventRecorder(client)
    recorder.record(JOB, Event("Normal", "R", "m"), component="c")
    await asyncio.wait_for(recorder.flush(give_up_after=0.05), 5)
    client.release.set()
    recorder.record(JOB, Event("Normal", "R2", "m"), component="c")
    await recorder.flush()
    assert client.events() == ["POST", "POST"]  # the dropped write stays dropped; new events still go out
