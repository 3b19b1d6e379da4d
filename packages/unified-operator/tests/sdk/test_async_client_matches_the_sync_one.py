"""AsyncTrainingClient: the same behaviour as TrainingClient, over aiohttp.

Runs on the local cluster. Covers: create/get/list/update/delete, typed errors (conflict, invalid with field
causes, forbidden, not found, kind unknown, missing namespace), watch-driven waits (one read then the watch,
as the request log shows; fail fast; timeout; cancellation from outside), every is_job_* helper, pod
selection, logs with and without follow, events, and closing the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from localapi import World, a_pytorch_job

from training_operator.unified.sdk import (
    AlreadyExists,
    AsyncTrainingClient,
    Forbidden,
    InvalidSpec,
    JobFailed,
    JobNotFound,
    Timeout,
    UnknownKind,
)


@pytest.fixture
async def aclient(kubeconfig: Path) -> AsyncIterator[AsyncTrainingClient]:
    async with AsyncTrainingClient(config_file=str(kubeconfig)) as client:
        yield client


async def test_job_life_cycle(aclient: AsyncTrainingClient, world: World):
    created = await aclient.create_job(a_pytorch_job("life"), labels={"team": "ml"})
    assert created.namespace == world.namespace
    assert created.metadata.labels == {"team": "ml"}
    assert [j.name for j in await aclient.list_jobs()] == ["life"]
    assert await aclient.list_jobs(job_kind="tfjob") == []

    changed = a_pytorch_job("life", workers=2)
    changed["spec"]["pytorchReplicaSpecs"].pop("Master")
    updated = await aclient.update_job(changed)
    specs = updated.body()["spec"]["pytorchReplicaSpecs"]
    assert specs["Worker"]["replicas"] == 2
    assert "Master" in specs  # merge patch: maps merge

    await aclient.delete_job("life")
    with pytest.raises(JobNotFound):
        await aclient.get_job("life")


async def test_errors_are_typed(aclient: AsyncTrainingClient, world: World):
    await aclient.create_job(a_pytorch_job("once"))
    with pytest.raises(AlreadyExists):
        await aclient.create_job(a_pytorch_job("once"))
    with pytest.raises(InvalidSpec) as caught:
        await aclient.create_job(a_pytorch_job("Not_Valid"))
    assert caught.value.causes[0][0] == "metadata.name"
    with pytest.raises(Forbidden, match="being terminated"):
        await aclient.create_job(a_pytorch_job("late"), namespace=world.terminating_namespace())
    with pytest.raises(JobNotFound, match="namespace 'nowhere' not found"):
        await aclient.create_job(a_pytorch_job("x"), namespace="nowhere")
    with pytest.raises(UnknownKind):
        await aclient.get_job("x", job_kind="spark")


async def test_wait_reads_once_then_follows_the_watch(aclient: AsyncTrainingClient, world: World):
    await aclient.create_job(a_pytorch_job("ok"))
    world.reset_requests()
    states = [("Created",), ("Created", "Succeeded")]

    def callback(job) -> None:
        if states:
            world.set_conditions("pytorchjobs", "ok", *states.pop(0))

    job = await aclient.wait_for_job_conditions("ok", wait_timeout=10, callback=callback)

    assert await aclient.is_job_succeeded(job=job)
    served = world.requests()
    assert served["get pytorchjobs"] == 1
    assert served["watch pytorchjobs"] >= 1
    assert "list pytorchjobs" not in served


async def test_is_job_helpers(aclient: AsyncTrainingClient, world: World):
    await aclient.create_job(a_pytorch_job("mid"))
    assert not await aclient.is_job_created("mid")
    world.set_conditions("pytorchjobs", "mid", "Created", "Running", "Restarting")

    assert await aclient.is_job_created("mid")
    assert await aclient.is_job_running("mid")
    assert await aclient.is_job_restarting("mid")
    assert not await aclient.is_job_succeeded("mid")
    assert not await aclient.is_job_failed("mid")
    assert [c.type for c in await aclient.get_job_conditions("mid")] == ["Created", "Running", "Restarting"]


async def test_wait_fails_fast_and_times_out(aclient: AsyncTrainingClient, world: World):
    await aclient.create_job(a_pytorch_job("bad"))
    await aclient.create_job(a_pytorch_job("slow"))
    world.set_conditions("pytorchjobs", "bad", "Created", "Failed")
    world.set_conditions("pytorchjobs", "slow", "Created", "Running")

    with pytest.raises(JobFailed):
        await aclient.wait_for_job_conditions("bad", wait_timeout=30)
    with pytest.raises(Timeout, match="last conditions: Created=True, Running=True"):
        await aclient.wait_for_job_conditions("slow", wait_timeout=0.3)


async def test_a_wait_can_be_cancelled_from_outside(aclient: AsyncTrainingClient, world: World):
    await aclient.create_job(a_pytorch_job("slow"))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await aclient.wait_for_job_conditions("slow", wait_timeout=60)
    assert not await aclient.is_job_created("slow")  # the session survives the cancelled stream


async def test_pods_logs_and_events(aclient: AsyncTrainingClient, world: World, tmp_path: Path):
    world.job_pods()
    world.add_event("PyTorchJob", "mnist", "Created pod: mnist-master-0")
    assert sorted(await aclient.get_job_pod_names("mnist", replica_type="WORKER")) == [
        "mnist-worker-0",
        "mnist-worker-1",
    ]
    assert (await aclient.get_job_pods("mnist", is_master=True))[0].metadata.name == "mnist-master-0"

    found, events = await aclient.get_job_logs("mnist", verbose=True)
    assert found == {"mnist-master-0": "master 0 says hi\n"}
    assert events["pytorchjob/mnist"] == ["2024-01-01 00:00:00 Created pod: mnist-master-0"]
    assert [e["message"] for e in await aclient.get_job_events("mnist")] == ["Created pod: mnist-master-0"]


async def test_follow_streams_until_every_pod_ends(
    aclient: AsyncTrainingClient, world: World, tmp_path: Path
):
    release = tmp_path / "release"
    pod_labels = {"training.kubeflow.org/job-name": "live", "training.kubeflow.org/job-role": "master"}
    world.add_pod(
        "live-master-0", pod_labels, script=f"echo hi; until [ -e {release} ]; do sleep 0.05; done; echo bye"
    )
    world.wait_pod("live-master-0", lambda pod: pod.status.phase == "Running")
    seen = []

    def on_line(pod: str, line: str) -> None:
        seen.append(line)
        release.touch()

    found, _ = await aclient.get_job_logs("live", follow=True, on_line=on_line)

    assert found == {"live-master-0": "hi\nbye"}
    assert seen == ["hi", "bye"]


async def test_suspend_resume_and_served_versions(aclient: AsyncTrainingClient):
    await aclient.create_job(a_pytorch_job("pause"))

    assert (await aclient.set_job_suspended("pause")).body()["spec"]["runPolicy"]["suspend"] is True
    assert (await aclient.set_job_suspended("pause", False)).body()["spec"]["runPolicy"]["suspend"] is False
    assert await aclient.get_served_versions("MPIJob") == ["v2beta1"]
