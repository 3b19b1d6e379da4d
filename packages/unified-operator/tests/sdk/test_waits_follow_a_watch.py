"""wait_for_job_conditions and the is_job_* helpers, sync client.

Covers: a wait returns as soon as the watched change lands (changes made right after the first read are not
missed), Failed ends a wait at once, the deadline raises a Timeout naming the last conditions, a deleted job
ends the wait, bad expected conditions are refused, and Kubeflow's "some condition is True" rule.
"""

from __future__ import annotations

import time

import pytest
from conftest import a_pytorch_job
from fakeapi import FakeApiServer

from training_operator.unified.sdk import JobFailed, JobNotFound, Timeout, TrainingClient


def step_through(api: FakeApiServer, *states: tuple[str, ...]):
    """A wait callback that moves the job to the next state each time the client observes a version."""
    pending = list(states)

    def callback(job) -> None:
        if pending:
            api.set_conditions("pytorchjobs", job.namespace, job.name, *pending.pop(0))

    return callback


def test_wait_returns_the_job_once_succeeded(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("ok"))
    callback = step_through(api, ("Created",), ("Created", "Running"), ("Created", "Running", "Succeeded"))

    job = client.wait_for_job_conditions("ok", wait_timeout=10, callback=callback)

    assert client.is_job_succeeded(job=job)
    assert not client.is_job_running(job=job)
    watches = api.requests("GET", "/pytorchjobs")
    assert watches
    assert all(w.query["fieldSelector"] == "metadata.name=ok" for w in watches if w.query.get("watch"))
    assert len(api.requests("GET", "/pytorchjobs/ok")) == 1  # one read, then only the watch


def test_failed_ends_the_wait_at_once(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("bad"))
    started = time.monotonic()

    with pytest.raises(JobFailed, match="PyTorchJob team/bad failed: JobFailed"):
        client.wait_for_job_conditions(
            "bad", wait_timeout=30, callback=step_through(api, ("Created", "Failed"))
        )
    assert time.monotonic() - started < 10


def test_waiting_for_failed_returns_the_failed_job(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("bad"))
    api.set_conditions("pytorchjobs", "team", "bad", "Created", "Failed")

    job = client.wait_for_job_conditions("bad", expected_conditions={"Failed"}, wait_timeout=5)

    assert client.is_job_failed(job=job)


def test_timeout_names_the_last_conditions(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("slow"))
    api.set_conditions("pytorchjobs", "team", "slow", "Created")

    with pytest.raises(Timeout, match=r"after 0.3s .* Succeeded; last conditions: Created=True") as caught:
        client.wait_for_job_conditions("slow", wait_timeout=0.3)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.last_conditions == ("Created=True",)


def test_a_deleted_job_ends_the_wait(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("doomed"))

    def delete(job) -> None:
        client.delete_job(job.name)

    with pytest.raises(JobNotFound, match="deleted while waiting"):
        client.wait_for_job_conditions("doomed", wait_timeout=10, callback=delete)


def test_expected_conditions_must_be_job_conditions(client: TrainingClient):
    with pytest.raises(ValueError, match="must be among"):
        client.wait_for_job_conditions("x", expected_conditions={"succeeded"})


def test_is_job_helpers_read_any_true_condition(client: TrainingClient, api: FakeApiServer):
    client.create_job(a_pytorch_job("mid"))
    assert not client.is_job_created("mid")
    api.set_conditions("pytorchjobs", "team", "mid", "Created", "Running", "Restarting")

    assert client.is_job_created("mid")
    assert client.is_job_running("mid")  # not the last condition, still true
    assert client.is_job_restarting("mid")
    assert not client.is_job_failed("mid")
    assert [c.type for c in client.get_job_conditions("mid")] == ["Created", "Running", "Restarting"]
