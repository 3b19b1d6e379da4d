"""Case 7 of issue 11: activeDeadlineSeconds and ttlSecondsAfterFinished crossing an operator restart.

Both are timers kept in the operator's memory (`Plan.requeue_after`); a restarted operator must rebuild them
from the job's status alone:

* deadline: the operator is SIGKILLed right after the job is Created and started again at once; with no
  further event, the restored timer fails the job (DeadlineExceeded message), not before startTime + deadline;
* TTL: the job succeeds, the operator is SIGKILLed, the TTL runs out while nobody watches (the job stays);
  the restarted operator deletes the job promptly, never before completionTime + TTL.
"""

import asyncio
import time
from datetime import UTC, datetime

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]
DEADLINE = 3
TTL = 2


def _stamp(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def _condition(job: dict, type_: str) -> dict | None:
    return next((c for c in (job.get("status") or {}).get("conditions") or [] if c["type"] == type_), None)


async def test_the_active_deadline_fires_after_a_restart(world, operator, ledger, faults):
    await operator.start()
    body = faults.tfjob("deadline", activeDeadlineSeconds=DEADLINE)
    uid = (await world.actor.request("POST", faults.TFJOBS, body))["metadata"]["uid"]
    await faults.eventually(lambda: world.condition("deadline", "Created"), what="Created")
    await operator.stop(faults.signal.SIGKILL)
    await operator.start()

    await faults.eventually(
        lambda: world.condition("deadline", "Failed"),
        what="failed by the restored timer",
        within=DEADLINE + 15,
    )
    job = await world.job("deadline")
    failed = _condition(job, "Failed")
    assert failed is not None
    assert "deadline" in failed["message"].lower()
    assert _stamp(failed["lastTransitionTime"]) >= _stamp(job["status"]["startTime"]) + DEADLINE
    assert ledger.regressions(uid) == []
    assert set(ledger.children(uid).values()) == {1}


async def test_the_ttl_deletes_the_job_after_a_restart(world, operator, ledger, faults):
    await operator.start()
    body = faults.tfjob("ttl", workers=1, ttlSecondsAfterFinished=TTL)
    uid = (await world.actor.request("POST", faults.TFJOBS, body))["metadata"]["uid"]
    await faults.eventually(lambda: world.children_exist("ttl", 1), what="the pod")
    for pod in await world.actor.pods_of("ttl"):
        await world.actor.set_phase(pod, "Succeeded")
    await faults.eventually(lambda: world.condition("ttl", "Succeeded"), what="Succeeded")
    await operator.stop(faults.signal.SIGKILL)
    completed = _stamp((await world.job("ttl"))["status"]["completionTime"])

    await faults.eventually(lambda: _past(completed + TTL + 1), what="the TTL to run out, operator down")
    assert (await world.job("ttl"))["metadata"]["uid"] == uid, "deleted with no operator running"
    restarted = time.monotonic()
    await operator.start()
    await faults.eventually(lambda: _gone(world, uid, ledger), what="the job deleted after the restart")
    assert ledger.deleted[uid] - restarted < 10
    assert ledger.regressions(uid) == []


async def _past(when: float) -> bool:
    await asyncio.sleep(0)
    return time.time() >= when


async def _gone(world, uid: str, ledger) -> bool:
    return uid in ledger.deleted
