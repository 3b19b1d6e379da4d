"""Where the cluster is and which namespace is the default, resolved the way Kubeflow's SDK does (A.5).

Credentials come from `training_operator.core.access`, the loader the operator and kopf use too, so the
SDK works wherever kubectl works (exec plug-ins, several KUBECONFIG files, rotating tokens) without
importing the official client. A `kubernetes.client.Configuration` passed in (Kubeflow's
`client_configuration=`) is read as it is, its refresh hook included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from training_operator.core import access
from training_operator.core.access import kubeconfig, proxy, tls
from training_operator.core.errors import AccessError

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, slots=True)
class Connection:
    """The API server's credentials and the namespace used when a call names none."""

    credentials: access.Credentials
    namespace: str


def connect(
    *,
    config_file: str | None = None,
    context: str | None = None,
    client_configuration: Any = None,
    namespace: str | None = None,
) -> Connection:
    """Kubeconfig (or $KUBECONFIG) outside a pod, the service account inside one, as Kubeflow does."""
    if client_configuration is not None:
        found = from_configuration(client_configuration)
        return Connection(found, namespace or _kubeconfig_namespace(config_file, context))
    found = access.load(config_file, context=context)
    return Connection(found, namespace or found.namespace)


def _kubeconfig_namespace(config_file: str | None, context: str | None) -> str:
    import os

    try:
        merged = kubeconfig.read(kubeconfig.paths(config_file, os.environ), required=False)
        return kubeconfig.select(merged, context).namespace
    except AccessError:  # no kubeconfig at all: the client configuration came from elsewhere
        return DEFAULT_NAMESPACE


def from_configuration(configuration: Any) -> access.Credentials:
    """Credentials of a `kubernetes.client.Configuration` (duck-typed: the official client stays unloaded)."""
    material = tls.Material(
        ca_file=configuration.ssl_ca_cert or None,
        cert_file=configuration.cert_file or None,
        key_file=configuration.key_file or None,
        insecure=not configuration.verify_ssl,
    )
    given = getattr(configuration, "proxy", None)
    return access.Credentials(
        server=str(configuration.host),
        namespace=DEFAULT_NAMESPACE,
        material=material,
        auth=ConfigurationAuth(configuration),
        server_name=getattr(configuration, "tls_server_name", None) or None,
        proxy=proxy.parse(str(given), where="the client_configuration's proxy") if given else None,
    )


class ConfigurationAuth:
    """The Authorization header a kubernetes client Configuration carries, refreshed by its own hook."""

    who = "the client_configuration's user"

    def __init__(self, configuration: Any) -> None:
        self.configuration = configuration

    def header(self) -> str | None:
        """Token (through `refresh_api_key_hook`) or basic auth, in the form every client version accepts."""
        configuration = self.configuration
        # newer clients store the kubeconfig token as "BearerToken", older ones (35, which Kubeflow's SDK
        # pins) as "authorization": ask for both
        token = configuration.get_api_key_with_prefix("BearerToken") or configuration.get_api_key_with_prefix(
            "authorization"
        )
        if token:
            return str(token)
        if configuration.username or configuration.password:
            return str(configuration.get_basic_auth_token())
        return None

    def due(self) -> bool:
        """The hook may run anything: let async callers use a thread."""
        return getattr(self.configuration, "refresh_api_key_hook", None) is not None

    def invalidate(self, sent: str | None) -> None:
        """The hook decides when to refresh; nothing to drop here."""

    def forget(self) -> None:
        """As `invalidate`."""

    def expires(self) -> datetime | None:
        """Unknown."""
        return None

    def client_certificate(self) -> tuple[bytes, bytes] | None:
        """Files only (in the Configuration's cert_file/key_file)."""
        return None


def official_client(credentials: access.Credentials) -> Any:
    """A `kubernetes.client.ApiClient` sending with `credentials`: its pool uses our TLS context (no key
    files written) and every request asks for the current Authorization header."""
    import urllib3
    from kubernetes.client import ApiClient, Configuration

    configuration = Configuration(host=credentials.server)
    configuration.api_key_prefix = {}

    def refresh(config: Any) -> None:
        value = credentials.headers().get("Authorization")
        config.api_key = {"authorization": value} if value else {}

    configuration.refresh_api_key_hook = refresh
    refresh(configuration)
    client = ApiClient(configuration)
    context = credentials.ssl_context()
    options: dict[str, Any] = {"ssl_context": context} if context else {}
    client.rest_client.pool_manager = urllib3.PoolManager(num_pools=4, maxsize=4, **options)
    return client
