"""Leader election between two operator processes (`--leader-elect`, short lease timings):

* while one leads, the other reconciles nothing (its reconcile count stays 0) and reports itself a follower;
* when the leader is SIGKILLed, the follower takes over after the lease expires, reconciles new jobs, and
  re-creates nothing that exists.
"""

import signal

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
RECONCILES = "training_operator_reconcile_duration_seconds_count"


async def test_one_leader_writes_and_a_follower_takes_over(api, operator, second_operator, kit):
    operator.args = second_operator.args = list(operator.LEADER_ELECTION)
    await operator.start()
    await second_operator.start(leader=False)

    await api.request("POST", kit.TFJOBS, body=kit.tfjob("first", workers=2))
    await kit.eventually(lambda: _pods(api, kit, 2), what="the first job's pods")
    assert await second_operator.sample("leader_election_master_status") == 0
    assert await second_operator.sample(RECONCILES, controller="tfjob-controller") == 0
    before = await kit.pods(api)

    await operator.stop(signal.SIGKILL)
    await kit.eventually(lambda: second_operator.sample("leader_election_master_status"), what="a new leader")
    await api.request("POST", kit.TFJOBS, body=kit.tfjob("second", workers=1))
    await kit.eventually(lambda: _pods(api, kit, 3), what="the second job's pod")
    after = await kit.pods(api)
    assert {name: after[name] for name in before} == before  # the new leader re-created nothing
    assert sorted(after) == ["first-worker-0", "first-worker-1", "second-worker-0"]


async def _pods(api, kit, count):
    return len(await kit.pods(api)) >= count
