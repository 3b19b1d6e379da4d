"""Strict field validation on every write both clients make: create_job, update_job and apply_job.

Covers: each write asks the server for `fieldValidation=Strict`, and `strict=False` leaves the server's own
default (the plans, which both clients run, checked without a server); a strict client refuses an unknown
field in an update or an applied job before sending anything, naming its path, while an update or an apply
that names only some fields is not refused for what it leaves out; the async client refuses an unknown field
on create before sending, as the sync one does (test_jobs_round_trip_through_the_api); `strict=False` sends an
unknown field in an apply, and the local API server refuses it for our kinds.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from localapi import World, a_pytorch_job

from training_operator.unified.sdk import AsyncTrainingClient, InvalidSpec, JobNotFound, TrainingClient, steps
from training_operator.unified.sdk.surface import Operations

TYPO = "spec.pytorchReplicaSpecs.Worker.replicass"


def with_typo(name: str) -> dict[str, Any]:
    job = a_pytorch_job(name)
    job["spec"]["pytorchReplicaSpecs"]["Worker"]["replicass"] = 2
    return job


def first_request(operation: str, job: dict[str, Any], *, strict: bool) -> steps.Send:
    """The first request a write's plan makes (it is not answered: only what is sent matters here)."""
    defaults = SimpleNamespace(namespace="ns", job_kind="PyTorchJob", strict=strict)
    plan = getattr(Operations(defaults), operation)(job)
    step = next(plan)
    plan.close()
    assert isinstance(step, steps.Send)
    return step


WRITES = pytest.mark.parametrize("operation", ["create_job", "update_job", "apply_job"])


@WRITES
@pytest.mark.parametrize(("strict", "asked"), [(True, "Strict"), (False, None)])
def test_each_write_asks_the_server_for_strict_validation(operation, strict, asked):
    step = first_request(operation, a_pytorch_job("exact"), strict=strict)

    assert step.call.query().get("fieldValidation") == asked


@WRITES
def test_a_strict_client_refuses_an_unknown_field_before_sending(operation):
    defaults = SimpleNamespace(namespace="ns", job_kind="PyTorchJob", strict=True)

    with pytest.raises(InvalidSpec, match=f'unknown field "{TYPO}"') as caught:
        next(getattr(Operations(defaults), operation)(with_typo("typo")))

    assert caught.value.status is None
    assert [field for field, _ in caught.value.causes] == [TYPO]


@WRITES
def test_strict_false_sends_the_unknown_field_as_it_is(operation):
    step = first_request(operation, with_typo("newer"), strict=False)

    assert step.call.body["spec"]["pytorchReplicaSpecs"]["Worker"]["replicass"] == 2


@pytest.mark.parametrize("operation", ["update_job", "apply_job"])
def test_a_write_naming_only_some_fields_is_not_refused_for_the_rest(operation):
    partial = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "partial"},
        "spec": {"runPolicy": {"suspend": True}},
    }

    step = first_request(operation, partial, strict=True)

    assert step.call.body["spec"] == {"runPolicy": {"suspend": True}}


async def test_the_async_client_refuses_an_unknown_field_before_sending(kubeconfig: Path, world: World):
    async with AsyncTrainingClient(config_file=str(kubeconfig)) as aclient:
        with pytest.raises(InvalidSpec, match=f'unknown field "{TYPO}"') as caught:
            await aclient.create_job(with_typo("typo"))
        assert caught.value.status is None

        with pytest.raises(JobNotFound):
            await aclient.get_job("typo")
    assert world.requests() == {"get pytorchjobs": 1}


def test_an_applied_unknown_field_is_refused_by_the_local_server_when_the_client_is_lenient(
    kubeconfig: Path, world: World
):
    lenient = TrainingClient(config_file=str(kubeconfig), strict=False)
    try:
        with pytest.raises(InvalidSpec, match=f'unknown field "{TYPO}"') as caught:
            lenient.apply_job(with_typo("applied"))
    finally:
        lenient.close()

    assert caught.value.status == 400
    assert world.get("pytorchjobs", "applied") is None
