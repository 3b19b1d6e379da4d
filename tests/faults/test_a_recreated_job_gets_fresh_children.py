"""Case 5 of issue 11: a job deleted and created again under the same name while its old pods terminate.

The old job runs (pods bound and Running), is deleted; garbage collection deletes its services at once and its
pods gracefully, so they linger with a deletionTimestamp (no kubelet finishes them). A new job of the same
name arrives meanwhile. The operator must not adopt the old pods (their owner stays the old uid), not delete
them itself, not count them (the new job is neither Running nor counting active replicas), and create the new
job's pods once the old ones are gone: each child of the new job created exactly once, owned by it.
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
    await faults.eventually(
        lambda: _failed_creates(world, 2), what="the new job trying its pods against the old names"
    )

    for pod in await actor.pods_of("same"):
        assert pod["metadata"]["deletionTimestamp"]
        assert [ref["uid"] for ref in pod["metadata"]["ownerReferences"]] == [old_uid], "adopted"
    assert (await actor.operator_writes())["delete pods"] == 0, "the operator deleted the old pods"
    # as upstream, a plan whose create fails writes no status: nothing of the old pods can leak into it
    status = (await world.job("same")).get("status") or {}
    assert not any(c["type"] == "Running" for c in status.get("conditions") or [])
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
    assert (await actor.operator_writes())["delete pods"] == 0


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


async def _failed_creates(world, count: int) -> bool:
    return (await world.actor.operator_writes())["create pods"] >= count
