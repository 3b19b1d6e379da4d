"""The local cluster every cell's operator talks to, run from the `local` cell's own venv.

A cell without the `local` extra cannot host a cluster, and needs none: like an operator in a real cluster,
it only gets a kubeconfig. The CRDs are the shipped manifests (manifests/base/crds), applied once for all
kinds; each cell works in its own namespace, and its operator watches only that one (`--namespace`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kubernetes
import yaml
from venvs import ROOT, run

CRDS = ROOT / "manifests" / "base" / "crds"
#: kind → (API class, read method) for the objects a job's operator creates
READERS = {
    "Pod": ("CoreV1Api", "read_namespaced_pod"),
    "Service": ("CoreV1Api", "read_namespaced_service"),
    "ConfigMap": ("CoreV1Api", "read_namespaced_config_map"),
    "Secret": ("CoreV1Api", "read_namespaced_secret"),
    "Job": ("BatchV1Api", "read_namespaced_job"),
}


class Cluster:
    """One local cluster process (loopback pod networking: nothing to clean up in the host's namespaces)."""

    def __init__(self, venv: Path, state_dir: Path, log: Path) -> None:
        self.venv, self.state_dir, self.log = venv, state_dir, log
        self.kubeconfig = state_dir / "kubeconfig"
        self.api: kubernetes.client.ApiClient | None = None

    def start(self) -> None:
        """Start the daemon from the local venv, then install every kind's CRD."""
        start = (
            "import sys; from training_operator.local import daemon; "
            "print(daemon.ensure_running(sys.argv[1], extra_args=('--network', 'loopback')))"
        )
        python = str(self.venv / "bin" / "python")
        run([python, "-c", start, str(self.state_dir)], log=self.log, timeout=120)
        self.api = kubernetes.config.new_client_from_config(config_file=str(self.kubeconfig))
        extensions = kubernetes.client.ApiextensionsV1Api(self.api)
        for path in sorted(CRDS.glob("*.yaml")):
            extensions.create_custom_resource_definition(yaml.safe_load(path.read_text()))

    def stop(self) -> None:
        """Stop the daemon (and with it every pod process)."""
        if self.api is not None:
            self.api.close()
        down = [
            str(self.venv / "bin" / "training-operator-local"),
            "down",
            "--state-dir",
            str(self.state_dir),
        ]
        subprocess.run(down, capture_output=True, timeout=120, check=False)

    def create_namespace(self, name: str) -> None:
        """A namespace for one cell."""
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        kubernetes.client.CoreV1Api(self.api).create_namespace(body)

    def read(self, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The object as the API server holds it (JSON data), or None when it does not exist."""
        api_class, method = READERS[kind]
        reader = getattr(getattr(kubernetes.client, api_class)(self.api), method)
        try:
            response = reader(name, namespace, _preload_content=False)
        except kubernetes.client.ApiException as error:
            if error.status == 404:
                return None
            raise
        found: dict[str, Any] = yaml.safe_load(response.data)
        return found
