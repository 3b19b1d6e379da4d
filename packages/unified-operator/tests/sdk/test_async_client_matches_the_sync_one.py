"""AsyncTrainingClient: the same behaviour as TrainingClient, over aiohttp.

Covers: create/get/list/update/delete, typed errors, watch-driven waits (success, fail fast, timeout, and
cancellation from outside), pod selection, logs with and without follow, and closing the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import a_pytorch_job
from fakeapi import FakeApiServer
from test_pods_and_logs_by_label import job_pods

from training_operator.unified.sdk import (
    AlreadyExists,
    AsyncTrainingClient,
    Forbidden,
    InvalidSpec,
    JobFailed,
    JobNotFound,
    Timeout,
)


@pytest.fixture
async def aclient(kubeconfig: Path) -> AsyncIterator[AsyncTrainingClient]:
    async with AsyncTrainingClient(config_file=str(kubeconfig)) as client:
        yield client


async def test_job_life_cycle(aclient: AsyncTrainingClient, api: FakeApiServer):
    created = await aclient.create_job(a_pytorch_job("life"), labels={"team": "ml"})
    assert created.namespace == "team"
    assert [j.name for j in await aclient.list_jobs()] == ["life"]

    updated = await aclient.update_job(a_pytorch_job("life", workers=2))
    assert updated.body()["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 2
    assert api.requests("PATCH")[0].content_type == "application/merge-patch+json"

    await aclient.delete_job("life")
    with pytest.raises(JobNotFound):
        await aclient.get_job("life")


async def test_errors_are_typed(aclient: AsyncTrainingClient):
    await aclient.create_job(a_pytorch_job("once"))
    with pytest.raises(AlreadyExists):
        await aclient.create_job(a_pytorch_job("once"))
    with pytest.raises(InvalidSpec) as caught:
        await aclient.create_job(a_pytorch_job("Not_Valid"))
    assert caught.value.causes[0][0] == "metadata.name"
    with pytest.raises(Forbidden):
        await aclient.list_jobs(namespace="forbidden")


async def test_wait_follows_the_watch(aclient: AsyncTrainingClient, api: FakeApiServer):
    await aclient.create_job(a_pytorch_job("ok"))
    states = [("Created",), ("Created", "Running", "Succeeded")]

    def callback(job) -> None:
        if states:
            api.set_conditions("pytorchjobs", "team", "ok", *states.pop(0))

    job = await aclient.wait_for_job_conditions("ok", wait_timeout=10, callback=callback)

    assert await aclient.is_job_succeeded(job=job)
    assert await aclient.is_job_created("ok")
    assert len(api.requests("GET", "/pytorchjobs/ok")) == 2  # the wait's one read, then is_job_created


async def test_wait_fails_fast_and_times_out(aclient: AsyncTrainingClient, api: FakeApiServer):
    await aclient.create_job(a_pytorch_job("bad"))
    await aclient.create_job(a_pytorch_job("slow"))
    api.set_conditions("pytorchjobs", "team", "bad", "Created", "Failed")
    api.set_conditions("pytorchjobs", "team", "slow", "Created", "Running")

    with pytest.raises(JobFailed):
        await aclient.wait_for_job_conditions("bad", wait_timeout=30)
    with pytest.raises(Timeout, match="last conditions: Created=True, Running=True"):
        await aclient.wait_for_job_conditions("slow", wait_timeout=0.3)


async def test_a_wait_can_be_cancelled_from_outside(aclient: AsyncTrainingClient, api: FakeApiServer):
    await aclient.create_job(a_pytorch_job("slow"))

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await aclient.wait_for_job_conditions("slow", wait_timeout=60)


async def test_pods_and_logs(aclient: AsyncTrainingClient, api: FakeApiServer):
    job_pods(api)
    assert await aclient.get_job_pod_names("mnist", replica_type="WORKER") == [
        "mnist-worker-0",
        "mnist-worker-1",
    ]
    assert (await aclient.get_job_pods("mnist", is_master=True))[0].metadata.name == "mnist-master-0"

    found, _ = await aclient.get_job_logs("mnist")
    assert found == {"mnist-master-0": "master 0 says hi\n"}

    api.keep_log_open("team", "mnist-worker-1")
    seen = []

    def on_line(pod: str, line: str) -> None:
        seen.append(line)
        if pod == "mnist-worker-1" and line != "bye":
            api.append_log("team", pod, "pytorch", "bye", close=True)

    found, _ = await aclient.get_job_logs("mnist", is_master=False, follow=True, on_line=on_line)
    assert found["mnist-worker-1"] == "worker 1 says hi\nbye"
    assert sorted(seen) == ["bye", "master 0 says hi", "worker 0 says hi", "worker 1 says hi"]
