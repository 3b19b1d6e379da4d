"""Admission through a real API server: the operator generates its serving certificate into the Secret and
the cert directory, injects the CA into `validator.training-operator.kubeflow.org`, and the API server then
refuses a bad TFJob with 403 Forbidden and the field errors, while a good one is created.
"""

import base64

import pytest

from training_operator.core.kube.client import ApiError

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
CONFIGS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


async def test_bad_jobs_are_refused_with_the_field_errors(api, operator, kit, tmp_path):
    port = kit.free_port()
    hook = {
        "name": "validator.tfjob.training-operator.kubeflow.org",
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "clientConfig": {"url": f"https://127.0.0.1:{port}/validate-kubeflow-org-v1-tfjob"},
        "rules": [
            {
                "apiGroups": ["kubeflow.org"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["tfjobs"],
            }
        ],
    }
    config = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "validator.training-operator.kubeflow.org"},
        "webhooks": [hook],
    }
    await api.request("POST", CONFIGS, body=config)
    operator.args = [f"--webhook-server-port={port}", f"--webhook-cert-dir={tmp_path / 'certs'}"]
    await operator.start()

    async def injected():
        current = await api.request("GET", f"{CONFIGS}/validator.training-operator.kubeflow.org")
        return current["webhooks"][0]["clientConfig"].get("caBundle")

    bundle = await kit.eventually(injected, what="the CA bundle")
    await kit.eventually(operator.ready, what="/readyz: certificates and the webhook server")
    secret = await api.request("GET", "/api/v1/namespaces/default/secrets/training-operator-webhook-cert")
    assert base64.b64decode(secret["data"]["ca.crt"]) == base64.b64decode(bundle)
    assert (tmp_path / "certs" / "tls.crt").exists()

    bad = kit.tfjob("bad")
    bad["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0].pop("image")
    with pytest.raises(ApiError) as refused:
        await api.request("POST", kit.TFJOBS, body=bad)
    assert (refused.value.status, refused.value.reason) == (403, "Forbidden"), refused.value.message
    assert "spec.tfReplicaSpecs[Worker].template.spec.containers[0].image" in refused.value.message
    created = await api.request("POST", kit.TFJOBS, body=kit.tfjob("good"))
    assert created["metadata"]["name"] == "good"
