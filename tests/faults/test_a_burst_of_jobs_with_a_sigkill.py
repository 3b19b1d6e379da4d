"""Case 8 of issue 11: a burst of many jobs, with the operator SIGKILLed halfway through it.

`FAULTS_BURST_JOBS` jobs of one worker each (default 200 for CI; run it at 1,000 by hand) are created as fast
as the API server takes them. The operator is killed inside the commit of change 2N (all jobs stored, about
half their children) and started again. Every job must end Created with one pod and one service, each created
exactly once, no condition regression, and the operator's writes must stay within a few of the fault-free
minimum (a pod, a service and a status patch per job, plus events). Prints the seconds from the first
create to the last job Created.
"""

import asyncio
import os
import time

import pytest

JOBS = int(os.environ.get("FAULTS_BURST_JOBS", "200"))
pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.slow, pytest.mark.timeout(120 + JOBS)]
FAST = ["--disable-webhooks", "--kube-api-qps=2000", "--kube-api-burst=2000", "--controller-threads=8"]


async def test_a_burst_survives_a_sigkill_halfway(world, operator, ledger, faults):
    operator.args = FAST
    await operator.start()
    await world.actor.reset()
    killed: list[int] = []
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, [JOBS * 2], killed))
    gate = asyncio.Semaphore(32)

    async def submit(number: int) -> str:
        async with gate:
            body = faults.tfjob(f"burst-{number:04d}", workers=1)
            return (await world.actor.request("POST", faults.TFJOBS, body))["metadata"]["uid"]

    started = time.monotonic()
    uids = await asyncio.gather(*(submit(n) for n in range(JOBS)))
    try:
        await faults.eventually(
            lambda: _all_created(world, faults.TFJOBS), what=f"{JOBS} jobs Created", within=60 + JOBS
        )
        seconds = time.monotonic() - started
        await faults.eventually(world.settled, what="the operator idle", within=60)
    finally:
        chaos.cancel()
        await asyncio.gather(chaos, return_exceptions=True)

    assert killed, "the kill landed inside the burst"
    for uid in uids:
        assert sorted(ledger.children(uid).values()) == [1, 1], uid
        assert ledger.regressions(uid) == []
    writes = await world.actor.operator_writes()
    assert writes["create pods"] <= JOBS + 8
    assert writes["create services"] <= JOBS + 8
    print(
        f"{JOBS} jobs Created in {seconds:.1f}s with a SIGKILL at change {killed[0]}; writes {dict(writes)}"
    )
    assert writes["patch tfjobs/status"] <= JOBS + 8


async def _all_created(world, tfjobs: str) -> bool:
    listing = await world.api.request("GET", tfjobs)
    done = 0
    for job in listing["items"]:
        conditions = (job.get("status") or {}).get("conditions") or []
        done += any(c["type"] == "Created" and c["status"] == "True" for c in conditions)
    pods = await world.api.request("GET", "/api/v1/namespaces/default/pods")
    return done == JOBS and len(pods["items"]) == JOBS
