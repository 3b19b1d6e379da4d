"""The operator as it runs next to a local cluster, admitting jobs exactly as it does on a real one.

`local up` runs the cluster and this operator in one process, one per state directory, and the cluster
calls the operator's validating webhooks through the same ValidatingWebhookConfiguration our manifests
ship (`webhooks.configuration`), pointed at the operator's port on loopback instead of a Service. The
operator generates its serving certificate and injects the CA as it does in a cluster (certs.py). So a job
that a real cluster with our manifests refuses is refused here too, whichever client sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from training_operator.core import crd, discovery
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.unified import certs, settings, webhooks
from training_operator.unified.testing import free_port

if TYPE_CHECKING:  # the runtime (kopf) is imported only when an operator runs
    from training_operator.unified.runtime import Status

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
WEBHOOK_CONFIGS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
NAMESPACE = "default"


def operator_settings(
    kubeconfig: Path, *, state_dir: Path, webhook_port: int | None = None
) -> settings.Settings:
    """Leader-elected, webhooks on loopback (certificates in the state dir), ephemeral metrics/probe ports."""
    parsed = settings.parse(
        [
            "--kubeconfig",
            str(kubeconfig),
            "--leader-elect",
            "--metrics-bind-address=127.0.0.1:0",
            "--health-probe-bind-address=127.0.0.1:0",
            f"--webhook-server-port={webhook_port or free_port()}",
            f"--webhook-cert-dir={state_dir / 'webhook-certs'}",
        ],
        environ={"MY_POD_NAMESPACE": NAMESPACE},
    )
    return dataclasses.replace(parsed, webhook_host="127.0.0.1")


async def apply_crds(client: ApiClient) -> None:
    """Create (or replace) the CRD of every installed framework."""
    for framework in discovery.discover().values():
        await _put(client, CRDS, crd.crd_for(framework))


async def register_webhooks(client: ApiClient, config: settings.Settings) -> None:
    """Our ValidatingWebhookConfiguration, pointed at this operator (its CA is injected when it starts)."""
    base = f"https://127.0.0.1:{config.webhook_server_port}"
    kinds = [framework.kind for framework in discovery.discover().values()]
    body = webhooks.configuration(certs.WEBHOOK_CONFIGURATION, kinds, lambda path: {"url": base + path})
    await _put(client, WEBHOOK_CONFIGS, body)


async def unregister_webhooks(client: ApiClient) -> None:
    """Remove the configuration when the operator stops: a cluster without it admits without webhooks,
    rather than refusing every job while nobody answers."""
    with contextlib.suppress(ApiError, OSError):
        await client.request("DELETE", f"{WEBHOOK_CONFIGS}/{certs.WEBHOOK_CONFIGURATION}")


async def ready(status: Status, config: settings.Settings, operator: asyncio.Task[None]) -> bool:
    """Wait until the operator reconciles and its webhook server answers; False when it stopped first."""
    while not operator.done():
        if status.reconciling.is_set() and webhooks.listening(config.webhook_server_port):
            return True
        await asyncio.sleep(0.05)
    return False


async def _put(client: ApiClient, collection: str, body: dict[str, object]) -> None:
    """Create, or replace what exists under that name."""
    name = body["metadata"]["name"]  # type: ignore[index]
    try:
        await client.request("POST", collection, body=body)
    except ApiError as error:
        if not error.already_exists:
            raise
        current = await client.request("GET", f"{collection}/{name}")
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]  # type: ignore[index]
        await client.request("PUT", f"{collection}/{name}", body=body)
