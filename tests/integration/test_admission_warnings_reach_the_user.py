"""A plug-in's admission warning reaches whoever created the job (frameworks.md PT-5, PT-8): the operator's
webhook returns PyTorch's deprecation of `elasticPolicy.nProcPerNode`, the API server sends it as a
`Warning: 299 - "<text>"` header (with a refusal too), `training-operator submit` prints `Warning: <text>` on
stderr as kubectl does, and the SDK logs it on `training_operator.unified.sdk.warnings`.
"""

import asyncio
import logging
import ssl
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from training_operator.pytorch.plugin import KIND_INFO as PYTORCHJOB
from training_operator.unified import certs, webhooks
from training_operator.unified.sdk.aio import AsyncTrainingClient

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
CONFIGS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
PYTORCHJOBS = "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs"
DEPRECATED = "spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"


def elastic_job(name: str, **spec: object) -> dict:
    """A PyTorchJob setting the deprecated `elasticPolicy.nProcPerNode` (PT-5)."""
    worker = {"replicas": 2, "template": {"spec": {"containers": [{"name": "pytorch", "image": "local"}]}}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "elasticPolicy": {"minReplicas": 1, "maxReplicas": 2, "nProcPerNode": 1},
            "pytorchReplicaSpecs": {"Worker": worker},
            **spec,
        },
    }


@pytest.fixture
async def webhook_served(api, operator, kit, tmp_path):
    """The operator serving PyTorchJob's validating webhook, registered the way the manifests do."""
    port = kit.free_port()
    config = webhooks.configuration(
        certs.WEBHOOK_CONFIGURATION, [PYTORCHJOB], lambda path: {"url": f"https://127.0.0.1:{port}{path}"}
    )
    await api.request("POST", CONFIGS, body=config)
    operator.schemes = ("pytorchjob",)
    operator.args = [f"--webhook-server-port={port}", f"--webhook-cert-dir={tmp_path / 'certs'}"]
    await operator.start()
    await kit.eventually(operator.ready, what="/readyz: certificates and the webhook server")


async def test_the_api_server_sends_the_warning_as_a_header(cluster, webhook_served):
    context = ssl.create_default_context(cafile=str(cluster.ca_path))
    headers = {"Authorization": f"Bearer {cluster.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def create(body: dict) -> tuple[int, list[str]]:
            async with session.post(cluster.url + PYTORCHJOBS, json=body, ssl=context) as response:
                return response.status, response.headers.getall("Warning", [])

        assert await create(elastic_job("deprecated")) == (201, [f'299 - "{DEPRECATED}"'])
        # refused for two different process counts, and still warned (PT-8)
        assert await create(elastic_job("both", nprocPerNode="2")) == (403, [f'299 - "{DEPRECATED}"'])
        plain = elastic_job("plain")
        del plain["spec"]["elasticPolicy"]["nProcPerNode"]
        assert await create(plain) == (201, [])


async def test_submit_prints_the_warning_like_kubectl(cluster, webhook_served, tmp_path: Path):
    manifest = tmp_path / "job.yaml"
    manifest.write_text(yaml.safe_dump(elastic_job("submitted")))
    command = Path(sys.executable).parent / "training-operator"
    process = await asyncio.create_subprocess_exec(
        str(command),
        "submit",
        str(manifest),
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    assert err.decode().splitlines() == [f"Warning: {DEPRECATED}"]
    assert "submitted" in out.decode()


async def test_the_sdk_logs_the_warning(cluster, webhook_served, caplog):
    caplog.set_level(logging.WARNING, logger="training_operator.unified.sdk.warnings")
    async with AsyncTrainingClient(config_file=str(cluster.kubeconfig_path), namespace="default") as client:
        await client.create_job(elastic_job("from-sdk"))
    logged = [r.getMessage() for r in caplog.records if r.name == "training_operator.unified.sdk.warnings"]
    assert logged == [DEPRECATED]
