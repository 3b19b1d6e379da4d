"""Where the API server is and how to authenticate: one value shared by kopf's login and our own client.

Read once from a kubeconfig (or the in-cluster service account) through the kubernetes client's loader, so
every kubeconfig feature it knows (exec plugins, embedded certificates) works, and then used by aiohttp only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


@dataclass(frozen=True, slots=True)
class Connection:
    """An API server endpoint and the credentials for it."""

    server: str
    token: str | None = None
    ca_path: str | None = None
    cert_path: str | None = None
    key_path: str | None = None
    insecure: bool = False
    default_namespace: str = "default"

    def headers(self) -> dict[str, str]:
        """Authorization headers for every request."""
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


def load(kubeconfig: str | None = None) -> Connection:
    """The connection from `kubeconfig`, else `$KUBECONFIG`/~/.kube/config, else the in-cluster account."""
    from kubernetes import client, config  # imported lazily: only the loader is used, never the models

    configuration = client.Configuration()
    path = kubeconfig or os.environ.get("KUBECONFIG")
    default_path = os.path.expanduser("~/.kube/config")
    if path or (os.path.exists(default_path) and not os.path.exists(SERVICE_ACCOUNT_DIR)):
        config.load_kube_config(config_file=path or default_path, client_configuration=configuration)
        namespace = _kubeconfig_namespace(path or default_path)
    else:
        config.load_incluster_config(client_configuration=configuration)
        namespace = _read(os.path.join(SERVICE_ACCOUNT_DIR, "namespace")) or "default"
    return from_configuration(configuration, default_namespace=namespace)


def from_configuration(configuration: Any, *, default_namespace: str = "default") -> Connection:
    """Translate a `kubernetes.client.Configuration` filled by one of its loaders."""
    auth = (configuration.api_key or {}).get("authorization") or (configuration.api_key or {}).get(
        "BearerToken"
    )
    token = None
    if auth:
        prefix = (configuration.api_key_prefix or {}).get("authorization", "")
        token = (
            auth.split(" ", 1)[1]
            if auth.startswith("Bearer ")
            else auth
            if prefix in ("", "Bearer")
            else None
        )
    return Connection(
        server=configuration.host.rstrip("/"),
        token=token,
        ca_path=configuration.ssl_ca_cert or None,
        cert_path=configuration.cert_file or None,
        key_path=configuration.key_file or None,
        insecure=not configuration.verify_ssl,
        default_namespace=default_namespace,
    )


def _kubeconfig_namespace(path: str) -> str:
    import yaml

    try:
        with open(path) as stream:
            document = yaml.safe_load(stream) or {}
    except OSError:
        return "default"
    current = document.get("current-context")
    for entry in document.get("contexts") or []:
        if entry.get("name") == current:
            return str((entry.get("context") or {}).get("namespace") or "default")
    return "default"


def _read(path: str) -> str | None:
    try:
        with open(path) as stream:
            return stream.read().strip()
    except OSError:
        return None
