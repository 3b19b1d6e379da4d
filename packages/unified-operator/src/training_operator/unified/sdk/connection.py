"""Where the cluster is and which namespace is the default, resolved the way Kubeflow's SDK does (A.5).

Both clients start from one `kubernetes.client.Configuration`, so a kubeconfig (context, exec plug-ins,
client certificates) works the same for the sync client and the aiohttp-based async one.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from kubernetes import client, config

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, slots=True)
class Connection:
    """The API server configuration and the namespace used when a call names none."""

    configuration: client.Configuration
    namespace: str


def connect(
    *,
    config_file: str | None = None,
    context: str | None = None,
    client_configuration: client.Configuration | None = None,
    namespace: str | None = None,
) -> Connection:
    """Kubeconfig outside a pod (or when a file is named), in-cluster config inside one (as Kubeflow does)."""
    if client_configuration is not None:
        return Connection(client_configuration, namespace or _kubeconfig_namespace(config_file, context))
    configuration = client.Configuration()
    if config_file or not SERVICE_ACCOUNT.is_dir():
        config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config_file, context=context, client_configuration=configuration
        )
        return Connection(configuration, namespace or _kubeconfig_namespace(config_file, context))
    config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return Connection(configuration, namespace or _service_account_namespace())


def _kubeconfig_namespace(config_file: str | None, context: str | None) -> str:
    try:
        contexts, active = config.list_kube_config_contexts(config_file)  # type: ignore[no-untyped-call]
    except Exception:  # no kubeconfig at all: the client configuration came from elsewhere
        return DEFAULT_NAMESPACE
    chosen = next((c for c in contexts if c.get("name") == context), active) if context else active
    return str(((chosen or {}).get("context") or {}).get("namespace") or DEFAULT_NAMESPACE)


def _service_account_namespace() -> str:
    try:
        return (SERVICE_ACCOUNT / "namespace").read_text().strip() or DEFAULT_NAMESPACE
    except OSError:
        return DEFAULT_NAMESPACE


def ssl_context(configuration: client.Configuration) -> ssl.SSLContext | bool:
    """The TLS settings of the configuration for aiohttp; False turns verification off (plain HTTP too)."""
    if not configuration.host.startswith("https"):
        return False
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert or None)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, configuration.key_file or None)
    return context


def auth_headers(configuration: client.Configuration) -> dict[str, str]:
    """The Authorization header the configuration carries (token, refreshed by exec plug-ins, or basic)."""
    # newer clients store the kubeconfig token as "BearerToken" (and accept an alias), older ones (35, which
    # Kubeflow's SDK pins) as "authorization": ask for both, each call in the form every version accepts
    token = configuration.get_api_key_with_prefix("BearerToken") or configuration.get_api_key_with_prefix(
        "authorization"
    )
    if token:
        return {"Authorization": token}
    if configuration.username or configuration.password:
        return {"Authorization": str(configuration.get_basic_auth_token())}
    return {}
