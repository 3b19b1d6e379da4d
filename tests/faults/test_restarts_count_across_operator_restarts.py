"""Issue 18, item 3: the OnFailure and ExitCode restart paths with the operator killed along the way.

* OnFailure with backoffLimit 2: the kubelet restarts containers in place; one restart before an operator
  SIGKILL and one landing inside the commit that kills it again add up to the limit, so the job fails once,
  exactly then — not before (a restarted operator counts nothing twice) and not later (nothing is forgotten:
  the counts live in the pods' statuses). All pods and services are deleted, as in the fault-free control.
* ExitCode, retryable code 137: the failed pod is deleted and created again exactly once (a second operator
  that finds it terminating does not restart it again), Restarting gives way to Running, the job succeeds.
* ExitCode, permanent code 1: the job fails once and keeps the pod, with the control's conditions.

Each faulted life is judged against a fault-free one: same conditions, each child created as many times.
"""

import asyncio
import dataclasses
import random

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(240)]
BACKOFF = "Job {} has failed because it has reached the specified backoff limit"


def tf_kind(lives, restart_policy, **run_policy):
    base = lives.KINDS["tfjob"]

    def body(name):
        job = base.body(name)
        job["spec"]["tfReplicaSpecs"]["Worker"]["restartPolicy"] = restart_policy
        if run_policy:
            job["spec"]["runPolicy"] = dict(run_policy)
        return job

    return dataclasses.replace(base, body=body)


async def start_running(lives, kind, name):
    uid = (await lives.actor.request("POST", kind.path(), kind.body(name)))["metadata"]["uid"]
    await lives.eventually(lambda: lives.children_exist(kind, name), what=f"{name}'s children", within=60)
    for pod in await lives.pods(name, 2):
        await lives.set_phase(pod, "Running")

    async def both_counted() -> bool:
        # Running can be written when the first pod runs and the second counted by a later status write: a
        # life that began before that write would count it as one of its own changes, and a kill instant
        # drawn on it in the control would not exist in the faulted life (the test then waited for ever)
        status = (await lives.job(kind, name)).get("status") or {}
        active = ((status.get("replicaStatuses") or {}).get("Worker") or {}).get("active")
        return active == 2 and await lives.condition(kind, name, "Running")

    await lives.eventually(both_counted, what=f"{name} Running with both pods counted", within=60)
    return uid


async def restart(operator, faults):
    await operator.stop(faults.signal.SIGKILL)
    await operator.start()


async def kill_inside_next_change(operator, ledger, faults, change):
    """Make `change` (a coroutine writing one thing) land while the operator dies in its commit."""
    died = asyncio.Event()

    def fire():
        faults.kill(operator)
        died.set()

    ledger.at_change(ledger.changes + 1, fire)
    await change
    await died.wait()
    await operator.stop(faults.signal.SIGKILL)
    await operator.start()


async def judged(lives, kind, name, uid):
    await lives.eventually(lambda: lives.settled(kind), what="the operator idle", within=60)
    status = (await lives.job(kind, name))["status"]
    assert lives.ledger.regressions(uid) == []
    conditions = tuple((c["type"], c["status"], c["reason"]) for c in status["conditions"])
    children = {k.replace(name, "JOB", 1): n for k, n in lives.ledger.children(uid).items()}
    return conditions, children, status


async def backoff_life(lives, operator, ledger, faults, name, *, kill):
    kind = tf_kind(lives, "OnFailure", backoffLimit=2)
    uid = await start_running(lives, kind, name)
    await lives.set_phase(await lives.pod(f"{name}-worker-0"), "Running", restarts=1)
    await lives.eventually(lambda: lives.settled(kind), what="the first restart seen", within=60)
    if kill:
        await restart(operator, faults)
        await lives.eventually(lambda: lives.settled(kind), what="the job seen again", within=60)
    assert not await lives.condition(kind, name, "Failed"), "one restart is below the limit"
    bump = lives.set_phase(await lives.pod(f"{name}-worker-1"), "Running", restarts=1)
    if kill:
        await kill_inside_next_change(operator, ledger, faults, bump)
    else:
        await bump
    await lives.eventually(lambda: lives.condition(kind, name, "Failed"), what=f"{name} Failed", within=60)
    conditions, children, status = await judged(lives, kind, name, uid)
    assert status["conditions"][-1]["message"] == BACKOFF.format(name)
    assert status.get("completionTime")
    return conditions, children


async def test_on_failure_restarts_count_toward_backoff_across_operator_restarts(
    lives, operator, ledger, faults
):
    await operator.start()
    control = await backoff_life(lives, operator, ledger, faults, "quiet", kill=False)
    await lives.actor.reset()
    faulted = await backoff_life(lives, operator, ledger, faults, "loud", kill=True)
    assert faulted == control
    assert set(faulted[1].values()) == {1}
    writes = await lives.actor.operator_writes()
    assert writes["delete pods"] == 2  # the failure path deleted both, once
    assert writes["delete services"] == 2


async def exit_code_life(lives, operator, ledger, faults, name, code, *, instants=()):
    kind = tf_kind(lives, "ExitCode")
    uid = await start_running(lives, kind, name)
    killed: list[int] = []
    before = ledger.changes
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, list(instants), killed))
    try:
        await lives.set_phase(await lives.pod(f"{name}-worker-1"), "Failed", exit_code=code)
        if code >= 128:
            await _run_the_replacement(lives, kind, name)
        else:
            await lives.eventually(
                lambda: lives.condition(kind, name, "Failed"), what=f"{name} Failed", within=60
            )
        span = ledger.changes - before
        if instants:  # the last kill may land on the last change: let the operator come back first
            await asyncio.wait_for(chaos, 60)
    finally:
        chaos.cancel()
        await asyncio.gather(chaos, return_exceptions=True)
    assert len(killed) == len(instants)
    conditions, children, _ = await judged(lives, kind, name, uid)
    return conditions, children, span


async def _run_the_replacement(lives, kind, name):
    async def replaced():
        pods = {p["metadata"]["name"]: p for p in await lives.actor.pods_of(name)}
        pod = pods.get(f"{name}-worker-1")
        return pod if pod and (pod.get("status") or {}).get("phase", "Pending") == "Pending" else None

    pod = await lives.eventually(replaced, what=f"{name}-worker-1 created again", within=60)
    await lives.set_phase(pod, "Running")
    await lives.eventually(
        lambda: lives.condition(kind, name, "Running"), what=f"{name} Running again", within=60
    )
    for pod_name in (f"{name}-worker-1", f"{name}-worker-0"):
        await lives.set_phase(await lives.pod(pod_name), "Succeeded")
    await lives.eventually(
        lambda: lives.condition(kind, name, "Succeeded"), what=f"{name} Succeeded", within=60
    )


@pytest.mark.parametrize(
    ("code", "worker_1_created"),
    [pytest.param(137, 2, id="retryable-137"), pytest.param(1, 1, id="permanent-1")],
)
async def test_exit_code_restarts_survive_sigkills(lives, operator, ledger, faults, code, worker_1_created):
    await operator.start()
    control, control_children, span = await exit_code_life(lives, operator, ledger, faults, "quiet", code)
    assert control_children["pods/JOB-worker-1"] == worker_1_created
    # two kills among the changes from the failure on: inside the failed pod's status, the operator's own
    # delete and status writes, the replacement's create …
    instants = sorted(random.Random(code).sample(range(1, span + 1), min(2, span)))
    await lives.actor.reset()
    faulted, children, _ = await exit_code_life(
        lives, operator, ledger, faults, "loud", code, instants=instants
    )
    assert faulted == control
    assert children == control_children
