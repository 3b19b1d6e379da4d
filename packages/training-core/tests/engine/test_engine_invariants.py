"""Properties of `plan()` over random jobs and random child states (hypothesis).

Covers: the engine never creates a child that already exists, never moves a finished job back to Running,
never drops a condition type (beyond §8's Running/Restarting swap), and is idempotent: once its writes are
applied it settles, and a settled world plans no create, delete, update or status write.
"""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training_operator.core.engine import planner
from training_operator.core.engine.observed import ContainerRecord, Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import FakeCluster, TestFramework, a_job, a_pod, apply_plan, services_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
PHASES = ["Pending", "Running", "Succeeded", "Failed", "Unknown"]


@st.composite
def worlds(draw):
    shape = {"Worker": draw(st.integers(0, 4)), "PS": draw(st.integers(0, 2))}
    if draw(st.booleans()):
        shape["Chief"] = 1
    run_policy = {}
    if draw(st.booleans()):
        run_policy["backoffLimit"] = draw(st.integers(0, 3))
    if draw(st.booleans()):
        run_policy["activeDeadlineSeconds"] = draw(st.integers(0, 100))
    if draw(st.booleans()):
        run_policy["cleanPodPolicy"] = draw(st.sampled_from(["All", "Running", "None", ""]))
    if draw(st.booleans()):
        run_policy["ttlSecondsAfterFinished"] = draw(st.integers(0, 100))
    run_policy["suspend"] = draw(st.booleans())
    policy = draw(st.sampled_from([None, "Never", "OnFailure", "Always", "ExitCode"]))
    status = None
    if draw(st.booleans()):
        terminal = draw(st.sampled_from([None, "Succeeded", "Failed"]))
        conditions = [{"type": "Created", "status": "True", "reason": "TestJobCreated"}]
        if draw(st.booleans()):
            conditions.append({"type": "Running", "status": "True", "reason": "TestJobRunning"})
        if terminal:
            conditions.append({"type": terminal, "status": "True", "reason": f"TestJob{terminal}"})
        status = {"conditions": conditions, "startTime": "2024-05-01T09:59:00Z"}
        if terminal and draw(st.booleans()):
            status["completionTime"] = "2024-05-01T09:59:30Z"
    job = a_job(replicas=shape, run_policy=run_policy, restart_policy=policy, status=status)
    pods = []
    for replica_type in shape:
        for index in draw(st.lists(st.integers(0, 5), max_size=4, unique=True)):
            phase = draw(st.sampled_from(PHASES))
            code = draw(st.sampled_from([None, 0, 1, 137]))
            restarts = draw(st.integers(0, 2))
            container = ContainerRecord("trainer", restart_count=restarts, exit_code=code)
            pod = a_pod("job-a", replica_type, index, phase=phase, containers=(container,))
            pods.append(replace(pod, deleting=draw(st.booleans()) and phase == "Running"))
    services = [s for s in services_of("job-a", {t: 6 for t in shape}) if draw(st.booleans())]
    return job, Snapshot(pods=tuple(pods), services=tuple(services))


def names(snapshot):
    return {("Pod", p.name) for p in snapshot.pods} | {("Service", s.name) for s in snapshot.services}


def condition(status, type_):
    return next((c for c in (status or {}).get("conditions") or [] if c["type"] == type_), None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_one_plan_is_safe(world):
    job, snapshot = world
    framework = TestFramework()
    plan = planner.plan(framework.parse(job), framework, snapshot, now=NOW, options=EngineOptions())
    existing = names(snapshot)
    created = [(c.kind, c.name) for c in plan.creates]
    assert not set(created) & existing, "never create a child that exists"
    assert len(created) == len(set(created)), "never create the same child twice"
    if plan.status is None:
        return
    before = {c["type"] for c in (job.get("status") or {}).get("conditions") or []}
    after = {c["type"] for c in plan.status["conditions"]}
    lost = before - after
    # the condition engine's one replacement: Restarting and Running take each other's place (§8)
    assert lost <= {"Running", "Restarting"}, "never lose a condition"
    assert not lost or ({"Running", "Restarting"} - lost) <= after
    for terminal in ("Succeeded", "Failed"):
        if (condition(job.get("status"), terminal) or {}).get("status") == "True":
            assert condition(plan.status, terminal)["status"] == "True"
            assert condition(plan.status, "Running") == condition(job["status"], "Running"), (
                "never back to Running"
            )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds(), st.integers(0, 3))
def test_reconciling_settles_and_then_stays_quiet(world, later):
    job, snapshot = world
    cluster = FakeCluster(TestFramework(), job, snapshot=snapshot)
    now = NOW + timedelta(seconds=later)
    cluster.reconcile_until_quiet(now, max_passes=6)
    if cluster.job is None:
        return
    quiet = cluster.reconcile(now)
    assert (quiet.creates, quiet.deletes, quiet.updates, quiet.status) == ((), (), (), None)
    again = apply_plan(cluster.job, cluster.snapshot, quiet)
    assert again.snapshot == cluster.snapshot
