"""apply_job (server-side apply) and create_job(queue_name=) (the LocalQueue looked up first), on the local
cluster, with both clients where they differ in nothing but I/O.

Covers: apply creates, then changes only what the manifest says; a label the manifest no longer has goes;
a job created by `create_job` and then applied with another value is a Conflict naming the field (force
takes it over); the field manager is recorded; `queue_name` with an existing LocalQueue (one GET on it, the
label set, no warning), a missing one (a warning, the job still created), a refused lookup (a warning) and
a failing one (an error, nothing created); Kueue not installed is in test_jobs_round_trip_through_the_api.
"""

from __future__ import annotations

import logging

import kubernetes
import pytest
from localapi import World, a_pytorch_job

from training_operator.unified.sdk import AsyncTrainingClient, Conflict, TrainingClient, TrainingError

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def labelled(name: str, **extra: str) -> dict:
    job = a_pytorch_job(name)
    job["metadata"]["labels"] = {"team": "ml", **extra}
    return job


def test_apply_creates_then_changes_what_the_manifest_says(client: TrainingClient, world: World):
    created = client.apply_job(labelled("applied", stage="dev"))
    assert created.metadata.labels == {"team": "ml", "stage": "dev"}

    changed = labelled("applied")
    changed["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = 3
    updated = client.apply_job(changed)

    assert updated.metadata.labels == {"team": "ml"}  # ours before, left out now: removed
    assert updated.body()["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 3
    assert world.requests() == {"patch pytorchjobs": 2}
    stored = world.get("pytorchjobs", "applied")
    assert stored is not None
    assert [(e["manager"], e["operation"]) for e in stored["metadata"]["managedFields"]] == [
        ("training-operator", "Apply")
    ]


async def test_applying_over_another_writers_value_is_a_conflict(kubeconfig, world: World):
    async with AsyncTrainingClient(config_file=str(kubeconfig)) as aclient:
        await aclient.create_job(a_pytorch_job("owned"))  # an Update by the SDK's own name
        changed = a_pytorch_job("owned")
        changed["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = 4

        with pytest.raises(Conflict) as caught:
            await aclient.apply_job(changed, field_manager="ci")
        assert caught.value.causes[0][0] == ".spec.pytorchReplicaSpecs.Worker.replicas"
        assert 'conflict with "training-operator"' in str(caught.value)

        forced = await aclient.apply_job(changed, field_manager="ci", force=True)
    assert forced.body()["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 4


@pytest.fixture(scope="module")
def kueue(kube: kubernetes.client.ApiClient) -> None:
    """Kueue's LocalQueue resource (only what a lookup needs)."""
    schema = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    kubernetes.client.ApiextensionsV1Api(kube).create_custom_resource_definition(
        {
            "metadata": {"name": "localqueues.kueue.x-k8s.io"},
            "spec": {
                "group": "kueue.x-k8s.io",
                "scope": "Namespaced",
                "names": {"plural": "localqueues", "singular": "localqueue", "kind": "LocalQueue"},
                "versions": [
                    {
                        "name": "v1beta1",
                        "served": True,
                        "storage": True,
                        "schema": {"openAPIV3Schema": schema},
                    }
                ],
            },
        }
    )


def test_an_existing_queue_is_looked_up_then_labelled(
    client: TrainingClient, world: World, kueue: None, caplog: pytest.LogCaptureFixture
):
    world.custom.create_namespaced_custom_object(
        "kueue.x-k8s.io",
        "v1beta1",
        world.namespace,
        "localqueues",
        {"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue", "metadata": {"name": "gpu"}},
    )
    world.reset_requests()

    job = client.create_job(name="queued", base_image="img", queue_name="gpu")

    assert job.metadata.labels == {QUEUE_LABEL: "gpu"}
    assert world.requests() == {"get localqueues": 1, "create pytorchjobs": 1}
    assert not caplog.records


def test_a_missing_queue_is_a_warning(client: TrainingClient, world: World, kueue: None, caplog):
    with caplog.at_level(logging.WARNING):
        job = client.create_job(name="waits", base_image="img", queue_name="nowhere")

    assert job.metadata.labels == {QUEUE_LABEL: "nowhere"}
    assert f"LocalQueue {world.namespace}/nowhere does not exist" in caplog.text


def test_a_refused_lookup_is_a_warning(client: TrainingClient, world: World, kueue: None, caplog):
    world.fault(code=403, verbs=["get"], resource="localqueues", times=1)

    with caplog.at_level(logging.WARNING):
        client.create_job(name="unchecked", base_image="img", queue_name="gpu")

    assert f"LocalQueue {world.namespace}/gpu cannot be checked: forbidden" in caplog.text
    assert world.get("pytorchjobs", "unchecked") is not None


def test_a_failing_lookup_is_an_error(client: TrainingClient, world: World, kueue: None):
    world.fault(code=500, verbs=["get"], resource="localqueues", times=1)

    with pytest.raises(TrainingError, match=r"LocalQueue .* API error 500"):
        client.create_job(name="broken", base_image="img", queue_name="gpu")
    assert world.get("pytorchjobs", "broken") is None
