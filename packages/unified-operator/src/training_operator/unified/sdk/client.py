"""TrainingClient: Kubeflow 1.9's `TrainingClient` surface, typed, over our own small HTTP transport.

Existing notebooks switch by changing an import. The deliberate differences are listed in docs/sdk.md: jobs
come back as our pydantic models, errors are typed (and still RuntimeError), waits follow a watch instead of
polling, MPIJob is v2beta1, and `job_kind` is accepted on every method. The methods themselves are declared
once for both clients (`surface.py`) and run here, blocking, on urllib3 (`driving.BlockingDriver`).
"""

from __future__ import annotations

import functools
from typing import Any

from training_operator.unified.sdk import connection, driving, kinds
from training_operator.unified.sdk.surface import Blocking
from training_operator.unified.sdk.transport import SyncApi


class TrainingClient(Blocking):
    """Create, read, watch and delete training jobs of every installed kind (sync)."""

    def __init__(
        self,
        config_file: str | None = None,
        context: str | None = None,
        client_configuration: Any = None,
        namespace: str | None = None,
        job_kind: str = "PyTorchJob",
        strict: bool = True,
    ) -> None:
        """`strict` (ours): refuse a job with fields its kind does not declare, before sending and at the
        server (`fieldValidation=Strict`), on create, update and apply; False lets a job written for a newer
        operator through to the server, which then decides."""
        self.job_kind = kinds.resolve(job_kind).kind
        self.strict = strict
        self.credentials = self._connect(config_file, context, client_configuration, namespace)
        self.api = SyncApi(self.credentials)
        self.driver = driving.BlockingDriver(self.api)
        self._official: Any = None

    # Kubeflow's attributes, for code that reaches past the client: the official client, built on first use
    # (importing it costs more than a whole CLI command); the SDK itself sends through `api`

    @property
    def api_client(self) -> Any:
        """A `kubernetes.client.ApiClient` with this client's server, TLS and (refreshing) credentials."""
        if self._official is None:
            self._official = connection.official_client(self.credentials)
        return self._official

    @functools.cached_property
    def custom_api(self) -> Any:
        """`kubernetes.client.CustomObjectsApi` over `api_client`."""
        from kubernetes.client import CustomObjectsApi

        return CustomObjectsApi(self.api_client)

    @functools.cached_property
    def core_api(self) -> Any:
        """`kubernetes.client.CoreV1Api` over `api_client`."""
        from kubernetes.client import CoreV1Api

        return CoreV1Api(self.api_client)

    def close(self) -> None:
        """Release connections (the official client's too, if it was used)."""
        self.api.close()
        if self._official is not None:
            self._official.close()
