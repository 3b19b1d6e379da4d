"""SIGKILL of the operator during a whole-job restart (runPolicy.wholeJobRestart, ours).

A TFJob of two workers runs; one worker fails (OnFailure: retryable) and the operator is killed inside the
commit of one of the restart's changes — its status write recording attempt 1, the deletes of the old pods,
the kubelet's removal of the terminating one, the creates of the new ones — and started again. Whatever the
instant: the attempt is recorded exactly once, every pod name is created exactly twice (once per attempt)
and its service once, no pod of attempt 1 is created while a pod of attempt 0 still exists, and the job then
finishes Succeeded. The changes after arming, as recorded on this cluster: 1 the worker fails, 2 the
status write of attempt 1, 3–4 the two deletes, 5 the kubelet removes the terminating pod, 6 and 9 the two
creates (7–8 bind the first new pod).
"""

import asyncio

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(180)]
ATTEMPT = "training-operator.io/restart-attempt"


class Attempts:
    """Straight from storage: which attempt's pods exist, and whether a new one was created beside an old."""

    def __init__(self) -> None:
        self.alive: dict[str, str] = {}
        self.mixed: list[str] = []

    def __call__(self, change) -> None:
        if not change.resource.endswith("/pods"):
            return
        meta = change.object.get("metadata") or {}
        attempt = (meta.get("labels") or {}).get(ATTEMPT, "")
        if change.type == "DELETED":
            self.alive.pop(meta["name"], None)
            return
        if change.type == "ADDED" and any(a != attempt for a in self.alive.values()):
            self.mixed.append(f"{meta['name']} (attempt {attempt}) created beside {self.alive}")
        self.alive[meta["name"]] = attempt


async def pods_of_attempt(world, name: str, attempt: str) -> bool:
    pods = await world.actor.pods_of(name)
    return len(pods) == 2 and all(
        p["metadata"]["labels"].get(ATTEMPT) == attempt and not p["metadata"].get("deletionTimestamp")
        for p in pods
    )


@pytest.mark.parametrize("instant", [pytest.param(n, id=f"change-{n}") for n in (2, 3, 4, 5, 6, 9)])
async def test_a_killed_operator_neither_loses_nor_repeats_an_attempt(
    world, operator, ledger, faults, cluster, instant
):
    attempts = Attempts()
    cluster.storage.listen(attempts)
    await operator.start()
    body = faults.tfjob("wjr", workers=2, wholeJobRestart={"maxRestarts": 3})
    for spec in body["spec"]["tfReplicaSpecs"].values():
        spec["restartPolicy"] = "OnFailure"
    uid = (await world.actor.request("POST", faults.TFJOBS, body))["metadata"]["uid"]
    await faults.eventually(lambda: pods_of_attempt(world, "wjr", "0"), what="attempt 0's pods", within=60)
    for pod in await world.actor.pods_of("wjr"):
        await world.actor.set_phase(pod, "Running")
    await faults.eventually(lambda: world.condition("wjr", "Running"), what="Running", within=60)

    killed: list[int] = []
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, [instant], killed))
    kubelet = asyncio.create_task(world.confirm_deletions("wjr"))
    try:
        [failing] = [p for p in await world.actor.pods_of("wjr") if p["metadata"]["name"].endswith("-1")]
        await world.actor.set_phase(failing, "Failed")  # change 1: exit code 1 under OnFailure
        await faults.eventually(
            lambda: pods_of_attempt(world, "wjr", "1"), what="attempt 1's pods", within=90
        )
        await asyncio.wait_for(chaos, timeout=60)
    finally:
        for task in (chaos, kubelet):
            task.cancel()
        await asyncio.gather(chaos, kubelet, return_exceptions=True)

    assert killed == [instant], "the kill landed"
    await faults.eventually(world.settled, what="the operator idle", within=60)
    assert (await world.job("wjr"))["status"]["wholeJobRestarts"] == 1, "an attempt lost or repeated"
    children = ledger.children(uid)
    assert {k: n for k, n in children.items() if k.startswith("pods/")} == {
        "pods/wjr-worker-0": 2,
        "pods/wjr-worker-1": 2,
    }
    assert {k: n for k, n in children.items() if k.startswith("services/")} == {
        "services/wjr-worker-0": 1,
        "services/wjr-worker-1": 1,
    }
    assert attempts.mixed == []

    pods = sorted(await world.actor.pods_of("wjr"), key=lambda p: p["metadata"]["name"], reverse=True)
    for pod in pods:
        await world.actor.set_phase(pod, "Running")
    for pod in pods:
        await world.actor.set_phase(pod, "Succeeded")
    await faults.eventually(lambda: world.condition("wjr", "Succeeded"), what="Succeeded", within=60)
    assert (await world.job("wjr"))["status"]["wholeJobRestarts"] == 1
    assert ledger.regressions(uid) == []
