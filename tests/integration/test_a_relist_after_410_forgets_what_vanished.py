"""Watch recovery against the local cluster: the operator's pod watch is cut, cannot reconnect for a moment,
then gets 410 Gone; a pod deleted during that gap must not linger in the index (a relist *replaces* what it
knew), so the operator notices and creates the pod again.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_a_pod_deleted_while_the_watch_was_down_is_recreated(api, operator, kit):
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob(workers=2))
    await kit.eventually(lambda: _count(api, kit, 2), what="two pods")
    old_uid = (await kit.pods(api))["job-worker-1"]

    faults = "/debug/faults"
    await api.request("POST", faults, body={"code": 500, "verbs": ["watch"], "resource": "pods", "times": 2})
    await api.request("POST", faults, body={"code": 410, "verbs": ["watch"], "resource": "pods", "times": 1})
    await api.request("POST", "/debug/watches/cut")
    await api.request("DELETE", f"{kit.PODS}/job-worker-1", body={"gracePeriodSeconds": 0})

    async def recreated():
        uid = (await kit.pods(api)).get("job-worker-1")
        return uid is not None and uid != old_uid

    await kit.eventually(recreated, what="job-worker-1 created again")
    counts = (await api.request("GET", "/debug/requests"))["requests"]
    assert counts.get("list pods", 0) >= 2  # the initial list and the relist after 410


async def _count(api, kit, count):
    return len(await kit.pods(api)) >= count
