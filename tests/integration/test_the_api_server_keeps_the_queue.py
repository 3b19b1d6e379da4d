"""Acceptance case 8 (common.md §3.2 V8) against the API server alone: the CRD's CEL transition rule keeps
`schedulingPolicy.queue` once set; adding one later and an unchanged update are let through.
"""

import pytest

from training_operator.core.kube.client import ApiError

PYTORCHJOBS = "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs"


def a_pytorchjob(queue: str | None) -> dict:
    container = {"name": "pytorch", "image": "local", "command": ["true"]}
    spec: dict = {
        "pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": {"spec": {"containers": [container]}}}}
    }
    if queue is not None:
        spec["runPolicy"] = {"schedulingPolicy": {"queue": queue}}
    return {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "q"}, "spec": spec}


async def test_a_changed_queue_is_rejected_and_kept(api):
    await api.request("POST", PYTORCHJOBS, body=a_pytorchjob("initial-queue"))
    patch = {"spec": {"runPolicy": {"schedulingPolicy": {"queue": "test"}}}}

    with pytest.raises(ApiError) as refused:
        await api.request(
            "PATCH", f"{PYTORCHJOBS}/q", body=patch, content_type="application/merge-patch+json"
        )

    assert refused.value.status == 422
    assert "spec.runPolicy.schedulingPolicy.queue is immutable" in refused.value.message
    stored = await api.request("GET", f"{PYTORCHJOBS}/q")
    assert stored["spec"]["runPolicy"]["schedulingPolicy"]["queue"] == "initial-queue"


async def test_a_queue_added_later_or_kept_is_accepted(api):
    await api.request("POST", PYTORCHJOBS, body=a_pytorchjob(None))
    patch = {"spec": {"runPolicy": {"schedulingPolicy": {"queue": "later"}}}}
    kind = "application/merge-patch+json"
    await api.request("PATCH", f"{PYTORCHJOBS}/q", body=patch, content_type=kind)
    labels = {"metadata": {"labels": {"touched": "yes"}}}
    stored = await api.request("PATCH", f"{PYTORCHJOBS}/q", body=labels, content_type=kind)
    assert stored["spec"]["runPolicy"]["schedulingPolicy"]["queue"] == "later"
