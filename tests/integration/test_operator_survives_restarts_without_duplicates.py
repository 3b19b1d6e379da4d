"""The operator against the local cluster, as a real process:

* a job is reconciled: pods and services created once, the Created condition written, nothing of kopf's
  written into the job;
* a restart with nothing changed writes nothing;
* SIGKILL in the middle of creating a job's pods, then a restart: no duplicate, no missing child, no
  regressed condition;
* a job created while the operator was down is reconciled when it comes back, and counted as created;
  a job that already had conditions is not counted again.
"""

import signal

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
CREATED = "training_operator_jobs_created_total"


async def settled(operator, count: int = 1) -> bool:
    """The operator has reconciled at least `count` times, nothing is waiting and nothing is running (the
    store is primed with every job before the first reconcile, so a reconcile always saw the job)."""
    labels = {"controller": "tfjob-controller"}
    done = await operator.sample("training_operator_reconcile_duration_seconds_count", **labels)
    depth = await operator.sample("training_operator_workqueue_depth", **labels)
    active = await operator.sample("training_operator_workqueue_active_workers", **labels)
    return done >= count and depth == 0 and active == 0


async def test_a_job_is_reconciled_and_left_free_of_kopf_bookkeeping(api, operator, kit):
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob(workers=2))

    async def services() -> list[str]:
        listed = await api.request("GET", "/api/v1/namespaces/default/services")
        return sorted(s["metadata"]["name"] for s in listed["items"] if s["metadata"]["name"] != "kubernetes")

    async def created():
        # the plan's pod and service creates run side by side: two pods say nothing of the services yet
        status = (await kit.job(api)).get("status") or {}
        conditions = [c["type"] for c in status.get("conditions") or []]
        return len(await kit.pods(api)) == 2 and len(await services()) == 2 and conditions == ["Created"]

    await kit.eventually(created, what="two pods, two services and the Created condition")
    body = await kit.job(api)
    assert not body["metadata"].get("finalizers")
    assert not any("kopf" in key for key in body["metadata"].get("annotations") or {})
    assert await services() == ["job-worker-0", "job-worker-1"]
    labels = {"job_namespace": "default", "framework": "tensorflow"}
    assert await operator.sample(CREATED, **labels) == 1


async def test_a_restart_with_nothing_changed_writes_nothing(api, operator, kit):
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob(workers=2))
    await kit.eventually(lambda: _has_pods(api, kit, 2), what="two pods")
    await kit.eventually(lambda: settled(operator), what="first reconciles done")
    assert await operator.stop() == 0
    await api.request("DELETE", "/debug/requests")

    await operator.start()
    await kit.eventually(lambda: settled(operator), what="the job reconciled after the restart")
    assert await kit.writes(api) == {}
    assert await operator.sample(CREATED, job_namespace="default", framework="tensorflow") == 0


async def test_sigkill_mid_job_then_restart_leaves_each_child_exactly_once(api, operator, kit):
    # the third pod create fails until the operator is killed: it dies with the job half built
    await api.request(
        "POST",
        "/debug/faults",
        body={"code": 500, "verbs": ["create"], "resource": "pods", "nth": 3, "times": 1000},
    )
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob(workers=4))
    await kit.eventually(lambda: _has_pods(api, kit, 2), what="two pods before the fault")
    before = await kit.pods(api)
    # a new job's status (Created) is written before any of its children, whatever their creates answer
    conditions_before = [
        c["type"] for c in ((await kit.job(api)).get("status") or {}).get("conditions") or []
    ]
    assert conditions_before == ["Created"]
    await operator.stop(signal.SIGKILL)
    await api.request("DELETE", "/debug/faults")

    await operator.start()
    await kit.eventually(lambda: _has_pods(api, kit, 4), what="all four pods")
    await kit.eventually(lambda: settled(operator), what="settled after the restart")
    after = await kit.pods(api)
    assert sorted(after) == [f"job-worker-{i}" for i in range(4)]
    assert all(after[name] == uid for name, uid in before.items())  # the survivors were not re-created
    conditions = [c["type"] for c in ((await kit.job(api)).get("status") or {}).get("conditions") or []]
    assert conditions[: len(conditions_before)] == conditions_before
    assert conditions[0] == "Created"


async def test_a_job_created_while_down_is_reconciled_on_return(api, operator, kit):
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob("old", workers=1))
    await kit.eventually(lambda: _has_pods(api, kit, 1), what="the old job's pod")
    await kit.eventually(lambda: _has_conditions(api, kit, "old"), what="the old job's Created condition")
    await operator.stop()

    await api.request("POST", kit.TFJOBS, body=kit.tfjob("new", workers=1))
    await operator.start()
    await kit.eventually(lambda: _has_pods(api, kit, 2), what="the new job's pod")
    assert "new-worker-0" in await kit.pods(api)
    assert await operator.sample(CREATED, job_namespace="default", framework="tensorflow") == 1


async def _has_pods(api, kit, count):
    return len(await kit.pods(api)) >= count


async def _has_conditions(api, kit, name):
    return bool(((await kit.job(api, name)).get("status") or {}).get("conditions"))
