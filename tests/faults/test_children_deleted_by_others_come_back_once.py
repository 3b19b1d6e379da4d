"""Case 4 of issue 11: a child deleted by someone else.

While the job runs, a pod (force-deleted, as `kubectl delete --force` does) and a service of it are deleted by
another client. The operator must create each again exactly once (two objects of that name in the job's
whole life, every other child one), end the job like a fault-free control, and write only the two creates,
their events and the replica counts that really changed beyond it.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]


async def test_a_deleted_pod_and_service_are_recreated_once(world, operator, ledger, faults):
    await operator.start()
    control = await world.live("control")
    uids: dict[str, str] = {}

    async def delete_children() -> None:
        for path in ("pods/subject-worker-1", "services/subject-worker-0"):
            body = await world.api.request("GET", f"{faults.NS}/{path}")
            uids[path] = body["metadata"]["uid"]
            await world.actor.request("DELETE", f"{faults.NS}/{path}", {"gracePeriodSeconds": 0})

        async def back() -> bool:
            for path, uid in uids.items():
                try:
                    body = await world.api.request("GET", f"{faults.NS}/{path}")
                except faults.ApiError:
                    return False
                if body["metadata"]["uid"] == uid:
                    return False
            return True

        await faults.eventually(back, what="the deleted pod and service created again")

    outcome = await world.live("subject", during={"running": delete_children})

    assert outcome.children == {**control.children, "pods/JOB-worker-1": 2, "services/JOB-worker-0": 2}
    assert outcome.conditions == control.conditions
    assert outcome.replica_statuses == control.replica_statuses
    extra = outcome.writes - control.writes
    print(f"extra writes {sum(extra.values())}: {dict(extra)}")
    assert extra["create pods"] == 1
    assert extra["create services"] == 1
    # beyond the creates: their events, and the replica counts as they really were (one active pod fewer,
    # then back) written to the status
    assert sum(extra.values()) <= 6
