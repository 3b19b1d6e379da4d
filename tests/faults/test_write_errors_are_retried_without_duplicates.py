"""Case 2 of issue 11: 409 conflicts and 5xx/429 answers on the operator's writes.

Per row, rules on pod/service creates and job status patches strike during a job's life: failures before the
write (500, 429, 503, 409 Conflict on the resourceVersion-guarded status patch) and failures after it (the
create or patch commits, then the client gets 504/500 or no answer at all). The job must end like a
fault-free control: same conditions and replica statuses, each child created exactly once, no regression, the
user's edits kept; extra writes stay within a few per injected fault.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]
EXTRA_PER_FAULT = 3  # the retry, its event, and one re-planned status patch

BEFORE = [
    {"code": 500, "verbs": ["create"], "resource": "pods", "nth": 1},
    {"code": 429, "verbs": ["create"], "resource": "services", "nth": 1, "times": 2},
    {"code": 503, "verbs": ["create"], "resource": "pods", "nth": 2},
]
AFTER_COMMIT = [
    {"code": 504, "verbs": ["create"], "resource": "pods", "nth": 1, "mode": "after"},
    {"code": 0, "verbs": ["create"], "resource": "services", "nth": 2, "mode": "after"},
]
# A request one rule fails is not seen by the rules after it, so nth=1 everywhere makes these strike the
# first four status patches in turn: two refused, then two that commit before the client hears of an error.
STATUS = [
    {"code": 409, "verbs": ["patch"], "resource": "tfjobs/status"},
    {"code": 503, "verbs": ["patch"], "resource": "tfjobs/status"},
    {"code": 500, "verbs": ["patch"], "resource": "tfjobs/status", "mode": "after"},
    {"code": 0, "verbs": ["patch"], "resource": "tfjobs/status", "mode": "after"},
]


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(BEFORE, id="creates-refused-500-429-503"),
        pytest.param(AFTER_COMMIT, id="creates-commit-then-504-or-no-answer"),
        pytest.param(STATUS, id="status-409-503-then-committed-500-and-no-answer"),
    ],
)
async def test_failed_writes_are_retried_and_nothing_is_duplicated(world, operator, faults, rules):
    await operator.start()
    control = await world.live("control")
    for rule in rules:
        await world.fault(**rule)

    outcome = await world.live("subject")

    fired = sum(rule["fired"] for rule in (await world.debug())["rules"])
    assert fired == sum(rule.get("times", 1) for rule in rules), "every rule struck"
    faults.assert_same_life(outcome, control)
    extra = faults.extra_writes(outcome, control)
    print(f"{fired} faults, {extra} extra writes: {dict(outcome.writes - control.writes)}")
    assert extra <= EXTRA_PER_FAULT * fired
