"""wait_for_job_conditions and the is_job_* helpers, sync client, on the local cluster.

Covers: a wait reads the job once and then only watches it (the cluster's request log proves it), returns as
soon as the watched change lands (changes made right after the first read are not missed), Failed ends a wait
at once, the deadline raises a Timeout naming the last conditions (also when the watch stream stalls), a
deleted job ends the wait, bad expected conditions are refused, and Kubeflow's "some condition is True" rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from localapi import World, a_pytorch_job

from training_operator.unified.sdk import JobFailed, JobNotFound, Timeout, TrainingClient


def step_through(world: World, *states: tuple[str, ...]) -> Callable[[object], None]:
    """A wait callback that moves the job to the next state each time the client observes a version."""
    pending = list(states)

    def callback(job) -> None:
        if pending:
            world.set_conditions("pytorchjobs", job.name, *pending.pop(0))

    return callback


def test_wait_reads_once_then_follows_the_watch(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("ok"))
    world.reset_requests()
    callback = step_through(world, ("Created",), ("Created", "Running"), ("Created", "Succeeded"))
    started = time.monotonic()

    job = client.wait_for_job_conditions("ok", wait_timeout=20, polling_interval=15, callback=callback)

    assert time.monotonic() - started < 10  # a poller would sleep polling_interval=15 s between reads
    assert client.is_job_succeeded(job=job)
    assert not client.is_job_running(job=job)
    served = world.requests()
    assert served["get pytorchjobs"] == 1  # one read; every later version came from the watch
    assert served["watch pytorchjobs"] >= 1
    assert "list pytorchjobs" not in served


def test_failed_ends_the_wait_at_once(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("bad"))
    started = time.monotonic()

    with pytest.raises(JobFailed, match=f"PyTorchJob {world.namespace}/bad failed: JobFailed") as caught:
        client.wait_for_job_conditions(
            "bad", wait_timeout=30, callback=step_through(world, ("Created", "Failed"))
        )
    assert time.monotonic() - started < 10
    assert caught.value.job is not None
    assert caught.value.job.name == "bad"


def test_waiting_for_failed_returns_the_failed_job(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("bad"))
    world.set_conditions("pytorchjobs", "bad", "Created", "Failed")

    job = client.wait_for_job_conditions("bad", expected_conditions={"Failed"}, wait_timeout=5)

    assert client.is_job_failed(job=job)


def test_timeout_names_the_last_conditions(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("slow"))
    world.set_conditions("pytorchjobs", "slow", "Created")

    with pytest.raises(Timeout, match=r"after 0.5s .* Succeeded; last conditions: Created=True") as caught:
        client.wait_for_job_conditions("slow", wait_timeout=0.5)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.last_conditions == ("Created=True",)


def test_a_stalled_watch_still_ends_at_the_deadline(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("stuck"))
    world.fault(code=200, verbs=["watch"], resource="pytorchjobs", mode="stall", times=100)
    started = time.monotonic()

    with pytest.raises(Timeout, match="last conditions: none"):
        client.wait_for_job_conditions("stuck", wait_timeout=1)
    assert time.monotonic() - started < 5


def test_a_deleted_job_ends_the_wait(client: TrainingClient):
    client.create_job(a_pytorch_job("doomed"))

    def delete(job) -> None:
        client.delete_job(job.name)

    with pytest.raises(JobNotFound, match="deleted while waiting"):
        client.wait_for_job_conditions("doomed", wait_timeout=10, callback=delete)


def test_waiting_on_a_missing_job(client: TrainingClient):
    with pytest.raises(JobNotFound, match="not found"):
        client.wait_for_job_conditions("absent", wait_timeout=5)


def test_expected_conditions_must_be_job_conditions(client: TrainingClient, world: World):
    with pytest.raises(ValueError, match="must be among"):
        client.wait_for_job_conditions("x", expected_conditions={"succeeded"})
    assert world.requests() == {}


def test_is_job_helpers_read_any_true_condition(client: TrainingClient, world: World):
    client.create_job(a_pytorch_job("mid"))
    assert not client.is_job_created("mid")
    assert client.get_job_conditions("mid") == []
    world.set_conditions("pytorchjobs", "mid", "Created", "Running", "Restarting")

    assert client.is_job_created("mid")
    assert client.is_job_running("mid")  # not the last condition, still true
    assert client.is_job_restarting("mid")
    assert not client.is_job_failed("mid")
    assert not client.is_job_succeeded("mid")
    assert [c.type for c in client.get_job_conditions("mid")] == ["Created", "Running", "Restarting"]
    with pytest.raises(ValueError, match="pass name= or job="):
        client.get_job_conditions()
