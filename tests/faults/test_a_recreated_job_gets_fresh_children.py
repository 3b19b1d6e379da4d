"""Case 5 of issue 11: a job deleted and created again under the same name while its old pods terminate.

The old job runs (pods bound and Running), is deleted; garbage collection deletes its services at once and its
pods gracefully, so they linger with a deletionTimestamp (no kubelet finishes them). A new job of the same
name arrives meanwhile. The operator must not adopt the old pods (their owner stays the old uid), not delete
them itself, not count them (the new job is neither Running nor counting active replicas), not even try to
create over them (they hold their names until they are gone, and go by themselves), and create the new job's
pods once the old ones are gone: each child of the new job created exactly once, owned by it.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]


async def test_the_new_job_neither_adopts_nor_deletes_the_old_pods(world, operator, ledger, faults):
    await operator.start()
    actor = world.actor
    old_uid = (await actor.request("POST", faults.TFJOBS, faults.tfjob("same")))["metadata"]["uid"]
    await faults.eventually(lambda: world.children_exist("same", 2), what="the old job's children")
    for pod in await actor.pods_of("same"):
        await actor.set_phase(pod, "Running")
    await faults.eventually(lambda: world.condition("same", "Running"), what="the old job Running")

    await actor.request("DELETE", f"{faults.TFJOBS}/same", {"propagationPolicy": "Background"})
    await faults.eventually(lambda: _terminating(world, 2), what="the old pods terminating")
    await actor.reset()
    new_uid = (await actor.request("POST", faults.TFJOBS, faults.tfjob("same")))["metadata"]["uid"]
    await faults.eventually(lambda: world.condition("same", "Created"), what="the new job Created")
    await faults.eventually(lambda: world.settled(), what="the new job reconciled against the old pods")

    for pod in await actor.pods_of("same"):
        assert pod["metadata"]["deletionTimestamp"]
        assert [ref["uid"] for ref in pod["metadata"]["ownerReferences"]] == [old_uid], "adopted"
    writes = await actor.operator_writes()
    assert writes["delete pods"] == 0, "the operator deleted the old pods"
    assert writes["create pods"] == 0, "the operator created over pods that are going away"
    status = (await world.job("same")).get("status") or {}
    assert [c["type"] for c in status.get("conditions") or []] == ["Created"]  # waiting is not Blocked
    assert not (status.get("replicaStatuses") or {}).get("Worker", {}).get("active")

    for pod in await actor.pods_of("same"):  # the kubelet finishes the old pods' termination
        await actor.request(
            "DELETE", f"{faults.NS}/pods/{pod['metadata']['name']}", {"gracePeriodSeconds": 0}
        )

    await faults.eventually(lambda: _pods_owned_by(world, new_uid, 2), what="the new job's own pods")
    await faults.eventually(lambda: _services_of(world, new_uid, 2), what="the new job's services")
    await faults.eventually(lambda: world.condition("same", "Created"), what="the new job Created")
    assert ledger.children(new_uid) == {
        f"{kind}/same-worker-{i}": 1 for kind in ("pods", "services") for i in range(2)
    }
    assert ledger.regressions(new_uid) == []
    writes = await actor.operator_writes()
    assert writes["delete pods"] == 0
    assert writes["create pods"] == 2, "a create was tried over a terminating pod"


async def _terminating(world, count: int) -> bool:
    pods = await world.actor.pods_of("same")
    return len(pods) == count and all(p["metadata"].get("deletionTimestamp") for p in pods)


async def _services_of(world, uid: str, count: int) -> bool:
    listing = await world.api.request("GET", "/api/v1/namespaces/default/services")
    owners = [(s["metadata"].get("ownerReferences") or [{}])[0].get("uid") for s in listing["items"]]
    return owners.count(uid) == count


async def _pods_owned_by(world, uid: str, count: int) -> bool:
    pods = await world.actor.pods_of("same")
    return len(pods) == count and all(p["metadata"]["ownerReferences"][0]["uid"] == uid for p in pods)
