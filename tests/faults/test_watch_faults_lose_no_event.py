"""Case 3 of issue 11: watch streams cut, stalled, or answered 410 while pods and jobs change.

Through one job's life: right after its children exist, every watch is cut and the pod watch's reconnect
stalls (open, silent); while it is stalled the user edits the job and the pods go Running (the operator must
not act on its stale view: no create, no status change); the stall ends and the resumed watch delivers the
missed changes (the job becomes Running). Then every watch is cut and each one's reconnect gets 410
(pods, services and kopf's job watch relist), and the pods finish during another cut. The job must end like a
fault-free control, with each child created once and no extra writes beyond the stale-view reconcile's.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(120)]


async def test_cut_stalled_and_expired_watches_lose_nothing(world, operator, ledger, faults):
    await operator.start()
    control = await world.live("control")
    stalled: dict[str, object] = {}

    async def stall_the_pod_watch() -> None:
        await world.fault(verbs=["watch"], resource="pods", mode="stall")
        await world.cut_watches()
        await faults.eventually(
            lambda: _stalled(world), what="the operator's pod watch reconnected into the stall"
        )
        job = await world.job("subject")
        stalled.update(children=dict(ledger.children(job["metadata"]["uid"])), status=job["status"])

    async def check_then_release() -> None:
        # the user's label has reached the operator through the (healthy) job watch: let it reconcile
        await faults.eventually(world.settled, what="the operator idle with a stalled pod watch")
        job = await world.job("subject")
        assert job["status"] == stalled["status"], "acted on pods it cannot see"
        assert ledger.children(job["metadata"]["uid"]) == stalled["children"]
        await world.clear_faults()

    async def expire_every_watch() -> None:
        for resource in ("pods", "services", "tfjobs"):
            await world.fault(code=410, verbs=["watch"], resource=resource)
        await world.cut_watches()

    world.paced = False  # the pods go Running while the operator cannot see them
    outcome = await world.live(
        "subject",
        during={
            "created": stall_the_pod_watch,
            "edited": check_then_release,
            "running": expire_every_watch,
            "finished": world.cut_watches,
        },
    )

    log = operator.log.read_text()
    assert "watch of pods expired (410); relisting" in log
    assert "watch of services expired (410); relisting" in log
    faults.assert_same_life(outcome, control)
    extra = faults.extra_writes(outcome, control)
    print(f"extra writes {extra}: {dict(outcome.writes - control.writes)}")
    assert extra <= 2


async def _stalled(world) -> bool:
    return (await world.debug())["stalledWatches"] == 1
