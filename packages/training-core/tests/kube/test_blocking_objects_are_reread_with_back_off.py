"""The reconciler with a name held by an object no watch shows (issue: one stray object froze a job):

* the first pass writes the job's status (Created) before its children, its create meets a 409, one GET
  learns the stranger, and the reconciler plans again at once;
* the second pass creates nothing at that name, writes the Blocked condition and one warning, and asks to
  be woken for the first re-read; passes before that time read nothing;
* re-reads back off 2 s, 4 s, 8 s … (capped at 5 minutes): a blocked job costs a handful of requests in
  its first minute;
* when the re-read answers 404 the name is free and the child is created; a deleted job forgets its probes;
* a plan that keeps creating over what it was shown (a framework ignoring the snapshot) backs off after two
  immediate re-plans instead of looping against the API server; the count starts again after a pass that
  needs no re-plan, and with a job deleted and created again under the same name.
"""

import copy
from datetime import UTC, datetime, timedelta

from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.kube import probes
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.reconcile import JobStore, Reconciler
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import Writer
from training_operator.core.metrics import Metrics
from training_operator.core.testing import TEST_KIND, TestFramework, a_job

KEY = JobKey("TestJob", "default", "job-a")
PODS = "/api/v1/namespaces/default/pods"
STATUS = "/apis/kubeflow.org/v1/namespaces/default/testjobs/job-a/status"
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
STRANGER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "job-a-worker-0",
        "namespace": "default",
        "uid": "uid-stranger",
        "ownerReferences": [{"kind": "ReplicaSet", "name": "web", "uid": "uid-rs", "controller": True}],
    },
}


class World:
    def __init__(self, client):
        self.client = client
        self.now = T0
        self.job = {**a_job(), "metadata": {**a_job()["metadata"], "resourceVersion": "1"}}
        self.store = JobStore()
        self.store.put(KEY, self.job)
        index = Index([TEST_KIND])
        self.recorder = EventRecorder(client)
        writer = Writer(client, index, recorder=self.recorder, metrics=Metrics())
        self.reconciler = Reconciler(
            framework=TestFramework(),
            store=self.store,
            index=index,
            writer=writer,
            options=EngineOptions(),
            clock=lambda: self.now,
        )
        client.answer("PATCH", STATUS, self._status_write)

    def _status_write(self, patch):
        self.job = {**self.job, "status": {**(self.job.get("status") or {}), **patch["status"]}}
        self.job["status"] = {k: v for k, v in self.job["status"].items() if v is not None}
        return self.job

    async def reconcile(self, after: float = 0.0):
        self.now += timedelta(seconds=after)
        wait = await self.reconciler(KEY)
        await self.recorder.flush()  # events are written in the background
        return wait

    def requests(self, method, path):
        return sum(1 for m, p, _ in self.client.calls if (m, p) == (method, path))

    def conditions(self):
        return [c["type"] for c in (self.store.get(KEY).get("status") or {}).get("conditions") or []]


async def test_a_stranger_is_learnt_reported_reread_with_back_off_and_then_made_way_for(client):
    client.answer("POST", PODS, ApiError(409, "AlreadyExists", "exists"))
    client.answer("GET", f"{PODS}/job-a-worker-0", STRANGER)
    world = World(client)

    assert await world.reconcile() == 0.0  # learnt: plan again at once
    writes = [(m, p.rsplit("/", 1)[-1]) for m, p, _ in client.writes if "/events" not in p]
    assert writes[:2] == [("PATCH", "status"), ("POST", "pods")]  # Created before any child
    assert world.conditions() == ["Created"]

    wait = await world.reconcile()
    assert wait == probes.FIRST_SECONDS
    assert world.conditions() == ["Created", "Blocked"]
    assert world.requests("POST", PODS) == 1
    warnings = [
        b for m, p, b in client.writes if p.endswith("/events") and b["reason"] == "ErrResourceExists"
    ]
    assert [w["message"] for w in warnings] == [
        'Resource "job-a-worker-0" of Kind "Pod" already exists and is not managed by TestJob '
        "(controlled by ReplicaSet/web)"
    ]

    assert await world.reconcile(after=1.0) == 1.0  # not yet: no request
    assert world.requests("GET", f"{PODS}/job-a-worker-0") == 1

    client.answers[("POST", PODS)] = []  # from now on a create succeeds
    client.answer("GET", f"{PODS}/job-a-worker-0", ApiError(404, "NotFound", "gone"))
    client.answers[("GET", f"{PODS}/job-a-worker-0")].pop(0)
    assert await world.reconcile(after=1.0) is None
    assert world.requests("GET", f"{PODS}/job-a-worker-0") == 2
    assert world.requests("POST", PODS) == 2
    assert world.conditions() == ["Created"]


async def test_a_blocked_job_costs_a_handful_of_requests_a_minute(client):
    client.answer("POST", PODS, ApiError(409, "AlreadyExists", "exists"))
    client.answer("GET", f"{PODS}/job-a-worker-0", STRANGER)
    world = World(client)
    await world.reconcile()
    elapsed = 0.0
    wait = await world.reconcile()
    while elapsed + wait <= 60.0:
        elapsed += wait
        wait = await world.reconcile(after=wait)
    about_the_stranger = [(m, p) for m, p, _ in client.calls if p.startswith(PODS)]
    assert len(about_the_stranger) <= 6, about_the_stranger  # 1 create, 1 read, 4 re-reads (2, 6, 14, 30 s)
    assert world.requests("POST", PODS) == 1  # re-read, never created over
    assert world.requests("PATCH", STATUS) == 2  # Created, then Blocked: nothing while it stays so


def test_the_back_off_doubles_to_five_minutes():
    assert [probes.delay(n) for n in range(10)] == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


async def test_a_deleted_job_forgets_its_probes(client):
    client.answer("POST", PODS, ApiError(409, "AlreadyExists", "exists"))
    client.answer("GET", f"{PODS}/job-a-worker-0", STRANGER)
    world = World(client)
    await world.reconcile()
    await world.reconcile()
    world.store.remove(KEY)
    assert await world.reconcile(after=10.0) is None
    assert world.reconciler.probes._jobs == {}


async def test_a_plan_that_keeps_creating_over_what_it_was_shown_backs_off(client):
    # a framework that ignores the snapshot would plan the same create after every 409: not a hot loop
    client.answer("POST", PODS, ApiError(409, "AlreadyExists", "exists"))
    client.answer("GET", f"{PODS}/job-a-worker-0", STRANGER)
    world = World(client)
    blind = world.reconciler.framework
    sighted = copy.copy(blind)

    def plan_as_if_nothing_existed(job, observed, *, now, options):
        return planner.plan(job, sighted, Snapshot(), now=now, options=options)

    blind.own_plan = plan_as_if_nothing_existed
    waits = [await world.reconcile() for _ in range(5)]
    assert waits[:2] == [0.0, 0.0]
    assert waits[2:] == [probes.delay(0), probes.delay(1), probes.delay(2)]


async def test_the_replan_guard_counts_only_re_plans_in_a_row(client):
    # a job that once looped and then planned sensibly gets its immediate re-plans back: the guard punishes
    # a loop, not a job's history; nor does a deleted job pass its count on to a new one of that name
    client.answer("POST", PODS, ApiError(409, "AlreadyExists", "exists"))
    client.answer("GET", f"{PODS}/job-a-worker-0", STRANGER)
    world = World(client)
    framework = world.reconciler.framework
    sees = copy.copy(framework)

    def blind(job, observed, *, now, options):
        return planner.plan(job, sees, Snapshot(), now=now, options=options)

    framework.own_plan = blind
    assert [await world.reconcile() for _ in range(3)] == [0.0, 0.0, probes.delay(0)]
    del framework.own_plan  # the stranger in view: Blocked, no create, no re-plan
    creates = world.requests("POST", PODS)
    assert await world.reconcile(after=probes.delay(0)) > 0.0
    assert world.requests("POST", PODS) == creates
    framework.own_plan = blind
    assert [await world.reconcile() for _ in range(2)] == [0.0, 0.0]

    world.store.remove(KEY)
    assert await world.reconcile() is None
    world.store.put(KEY, world.job)
    assert await world.reconcile() == 0.0
