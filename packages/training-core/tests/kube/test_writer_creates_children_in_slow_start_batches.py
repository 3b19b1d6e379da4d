"""Children are created in slow-start batches, as Kubernetes' Job controller does:

* a run of pods and services goes out in batches of 1, 2, 4, 8, 16 at once, then flows through 32 workers,
  so a big job is not bound by one round trip per child;
* a failing create stops the run after its batch: a bad template costs one request, not a thousand, and no
  status is written;
* any other kind (ConfigMap, Secret, PodGroup, the MPI launcher's Job) waits for everything before it and is
  created before everything after it, because what follows may need it;
* the per-job event budget holds when outcome events are recorded concurrently.
"""

import asyncio

import pytest

from training_operator.core.engine.plan import Create, Plan
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import WriteFailed, Writer, create_groups
from training_operator.core.metrics import Metrics
from training_operator.core.testing.demo_kind import DemoFramework, a_stored_body, owner_reference

KIND = DemoFramework.kind
KEY = JobKey("DemoJob", "default", "job-a")
JOB = a_stored_body()
OWNER = owner_reference()


def child(kind: str, name: str) -> Create:
    meta = {"name": name, "namespace": "default", "ownerReferences": [OWNER]}
    return Create({"apiVersion": "batch/v1" if kind == "Job" else "v1", "kind": kind, "metadata": meta})


class OverlapClient:
    """Answers creates after yielding to the loop, and notes which creates were in flight together."""

    def __init__(self, fail: set[str] = frozenset()) -> None:
        self.fail = fail
        self.in_flight: set[str] = set()
        self.most_in_flight = 0
        self.batches: list[list[str]] = []  # names started while others were in flight, grouped
        self.posts: list[str] = []
        self.events = 0

    async def request(self, method, path, *, params=None, body=None, content_type="application/json"):
        if path.endswith("/events"):
            self.events += 1
            return body
        if method != "POST":
            return body or {}
        name = body["metadata"]["name"]
        if not self.in_flight:
            self.batches.append([])
        self.batches[-1].append(name)
        self.posts.append(name)
        self.in_flight.add(name)
        self.most_in_flight = max(self.most_in_flight, len(self.in_flight))
        await asyncio.sleep(0)  # let the others of the batch start
        await asyncio.sleep(0)
        self.in_flight.discard(name)
        if name in self.fail:
            raise ApiError(403, "Forbidden", f"exceeded quota: {name}")
        return {**body, "metadata": {**body["metadata"], "uid": f"uid-{name}"}}


def writer_for(client: OverlapClient, *, burst: int = 25) -> Writer:
    recorder = EventRecorder(client, burst=burst)
    return Writer(client, Index([KIND]), recorder=recorder, metrics=Metrics())


async def test_pods_and_services_go_out_in_doubling_batches():
    client = OverlapClient()
    creates = tuple(child("Pod" if i % 2 else "Service", f"c{i}") for i in range(40))
    await writer_for(client).execute(Plan(creates=creates), key=KEY, job=JOB, kind=KIND)
    assert [len(b) for b in client.batches] == [1, 2, 4, 8, 16, 9]
    assert sorted(client.posts) == sorted(c.name for c in creates)


async def test_a_failing_create_stops_the_run_after_its_batch_and_writes_no_status():
    client = OverlapClient(fail={"p4"})
    creates = tuple(child("Pod", f"p{i}") for i in range(100))
    plan = Plan(creates=creates, status={"startTime": "t1"})
    with pytest.raises(WriteFailed, match="exceeded quota: p4"):
        await writer_for(client).execute(plan, key=KEY, job=JOB, kind=KIND)
    # batches 1 + 2 + 4: p4 is in the third batch, nothing after it is tried
    assert client.posts == [f"p{i}" for i in range(7)]


async def test_the_first_create_failing_costs_one_request():
    client = OverlapClient(fail={"p0"})
    with pytest.raises(WriteFailed):
        await writer_for(client).execute(
            Plan(creates=tuple(child("Pod", f"p{i}") for i in range(1000))), key=KEY, job=JOB, kind=KIND
        )
    assert client.posts == ["p0"]


async def test_other_kinds_are_barriers_in_plan_order():
    client = OverlapClient()
    creates = (
        child("Service", "svc"),
        child("ConfigMap", "config"),
        child("Secret", "ssh"),
        *(child("Pod", f"w{i}") for i in range(3)),
        child("Job", "launcher"),
    )
    await writer_for(client).execute(Plan(creates=creates), key=KEY, job=JOB, kind=KIND)
    assert client.batches == [["svc"], ["config"], ["ssh"], ["w0"], ["w1", "w2"], ["launcher"]]
    assert [len(g) for g in create_groups(creates)] == [1, 1, 1, 3, 1]


async def test_the_event_budget_holds_across_concurrent_creates():
    client = OverlapClient()
    creates = tuple(child("Pod", f"p{i}") for i in range(200))
    writer = writer_for(client, burst=10)
    await writer.execute(Plan(creates=creates), key=KEY, job=JOB, kind=KIND)
    await writer.recorder.flush()
    assert len(client.posts) == 200
    assert client.events == 10


async def test_after_the_slow_start_creates_flow_32_at_a_time_and_stop_at_a_failure():
    client = OverlapClient(fail={"p60"})
    creates = tuple(child("Pod", f"p{i}") for i in range(200))
    with pytest.raises(WriteFailed, match="exceeded quota: p60"):
        await writer_for(client).execute(Plan(creates=creates), key=KEY, job=JOB, kind=KIND)
    assert client.most_in_flight == 32
    assert "p60" in client.posts
    # the creates already in flight finish; none starts once the failure is known
    assert len(client.posts) <= 61 + 32
    assert "p199" not in client.posts
