"""Case 6 of issue 11: two operator replicas at once (leader election, short lease).

A fault-free control job lives with both replicas up: the follower reconciles nothing. Then the leader is
SIGKILLed in the middle of a second job's life (after its children are created); the follower takes the lease
and finishes the job. The job must end like the control, each child created once, no condition regression,
and the takeover costs at most a few extra writes.
"""

import asyncio

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]
RECONCILES = "training_operator_reconcile_duration_seconds_count"


async def test_the_follower_writes_nothing_then_takes_over(world, operator, second_operator, faults):
    operator.args = second_operator.args = list(operator.LEADER_ELECTION)
    await operator.start()
    await second_operator.start(leader=False)
    control = await world.live("control")
    assert await second_operator.sample("leader_election_master_status") == 0
    assert await second_operator.sample(RECONCILES, controller="tfjob-controller") == 0

    async def kill_the_leader() -> None:
        await operator.stop(faults.signal.SIGKILL)
        world.operator = second_operator  # `live` waits for the new leader to be idle
        await faults.eventually(
            lambda: second_operator.sample("leader_election_master_status"), what="the follower leading"
        )

    takeover = asyncio.get_running_loop().time()
    outcome = await world.live("subject", during={"created": kill_the_leader})
    print(f"takeover and the rest of the life: {asyncio.get_running_loop().time() - takeover:.1f}s")

    faults.assert_same_life(outcome, control)
    extra = faults.extra_writes(outcome, control)
    print(f"extra writes {extra}: {dict(outcome.writes - control.writes)}")
    assert extra <= 2
