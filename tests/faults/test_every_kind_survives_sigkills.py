"""Issue 18, item 3: the SIGKILL case of issue 11 for every kind, not only TFJob.

For a TFJob, a PyTorchJob with a Master, an elastic PyTorchJob (its HPA), an XGBoostJob, an MPIJob (Service,
hostfile ConfigMap rewritten when the workers run, SSH Secret, launcher Job), a PaddleJob and a JAXJob: a
fault-free control job lives first and counts the changes its life makes; the operator is then killed inside
the commit of three changes drawn among that many, during another job's life, and started again each time.
The faulted job must end like the control: same conditions and replica statuses, every child created exactly
once, no condition leaving True, the user's label and annotation kept, the same hostfile and HPA, few extra
writes.
"""

import asyncio
import random

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(240)]
KILLS = 3
EXTRA_WRITES_PER_KILL = 4  # as the TFJob case: a lost answer's 409, a status computed twice, their events


KINDS = ["tfjob", "pytorch-master", "pytorch-elastic", "xgboost", "mpijob", "paddle", "jax"]


@pytest.mark.parametrize("kind", KINDS)
async def test_every_kind_survives_sigkills_at_random_instants(lives, operator, ledger, faults, kind):
    spec = lives.KINDS[kind]
    await operator.start()
    before = ledger.changes
    control = await lives.live(spec, "quiet")
    span = ledger.changes - before
    # a kill can fold two of the control's changes into one (a status computed once after the restart),
    # so the last two instants are left out: every kill must land for the case to mean anything
    instants = sorted(random.Random(kind).sample(range(1, span - 2), KILLS))

    killed: list[int] = []
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, instants, killed))
    try:
        outcome = await lives.live(spec, "loud")
    finally:
        chaos.cancel()
        await asyncio.gather(chaos, return_exceptions=True)

    assert len(killed) == KILLS, "every kill landed"
    faults.assert_same_life(outcome, control)
    assert outcome.contents == control.contents
    extra = faults.extra_writes(outcome, control)
    print(f"{kind}: killed after changes {killed} of {span}; extra writes {extra}")
    assert extra <= KILLS * EXTRA_WRITES_PER_KILL, outcome.writes - control.writes
