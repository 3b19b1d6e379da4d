"""Case 1 of issue 11: the operator SIGKILLed at random instants across a job's life.

A fault-free `control` job runs first and counts the changes its life makes to pods, services and the job.
Then, per seed, kill instants are drawn among that many changes; the operator is killed inside the commit of
each (so it never gets the answer of that write, or dies between two writes of one plan) and started again.
The faulted job must end like the control: same conditions and replica statuses, each child created exactly
once, no condition leaving True, the user's label and annotation kept, and few extra writes.
"""

import asyncio
import random

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(180)]
KILLS = 3
EXTRA_WRITES_PER_KILL = 4  # a lost create answer → one 409, a status computed twice → one patch, their events


@pytest.mark.parametrize("seed", [pytest.param(seed, id=f"seed-{seed}") for seed in (2, 11, 2024)])
async def test_a_job_survives_sigkills_at_random_instants(world, operator, ledger, faults, seed):
    await operator.start()
    before = ledger.changes
    control = await world.live("control")
    span = ledger.changes - before
    instants = sorted(random.Random(seed).sample(range(1, span), KILLS))

    killed: list[int] = []
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, instants, killed))
    try:
        outcome = await world.live("subject")
    finally:
        chaos.cancel()
        await asyncio.gather(chaos, return_exceptions=True)

    assert len(killed) == KILLS, "every kill landed"
    faults.assert_same_life(outcome, control)
    extra = faults.extra_writes(outcome, control)
    print(f"seed {seed}: killed after changes {killed} of {span}; extra writes {extra}")
    assert extra <= KILLS * EXTRA_WRITES_PER_KILL, outcome.writes - control.writes
