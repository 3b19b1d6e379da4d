"""The async client's HTTP layer: aiohttp with the kubeconfig's host, TLS and credentials.

aiohttp is already in the operator's dependency tree (kopf), so the async twin adds no dependency; auth, TLS
come from the same `kubernetes.client.Configuration` the sync client uses.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from training_operator.unified.sdk import connection, errors, kinds


def job_path(ref: kinds.KindRef, namespace: str, name: str | None = None) -> str:
    """The REST path of a job collection, or of one job."""
    base = f"/apis/{ref.group}/{ref.version}/namespaces/{namespace}/{ref.plural}"
    return f"{base}/{name}" if name else base


def core_path(namespace: str, resource: str) -> str:
    """The REST path of a core/v1 resource (`pods`, `pods/<name>/log`, `events`)."""
    return f"/api/v1/namespaces/{namespace}/{resource}"


class AsyncApi:
    """One aiohttp session bound to one API server; close it with `close()`."""

    def __init__(self, configuration: Any, session: aiohttp.ClientSession | None = None) -> None:
        self._configuration = configuration
        self._session = session
        self._owns_session = session is None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=connection.ssl_context(self._configuration))
            self._session = aiohttp.ClientSession(
                base_url=self._configuration.host.rstrip("/") + "/", connector=connector
            )
        return self._session

    async def close(self) -> None:
        """Close the session if this object opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        collection: bool = False,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-call deadline, like Kubeflow's timeout=
    ) -> Any:
        """One API call; the decoded JSON answer, or the typed error for a failure."""
        data = None if body is None else json.dumps(body)
        headers = {**connection.auth_headers(self._configuration), "Content-Type": content_type}
        try:
            async with asyncio.timeout(timeout):
                response = await self._client().request(
                    method, path.lstrip("/"), params=_query(params), data=data, headers=headers
                )
                async with response:
                    text = await response.read()
        except TimeoutError as error:
            raise errors.Timeout(f"{what}: the API server did not answer in {timeout:g}s") from error
        except aiohttp.ClientError as error:
            raise errors.TrainingError(f"{what}: cannot reach the API server: {error}") from error
        if response.status >= 400:
            raise errors.from_response(response.status, text, what=what, collection=collection)
        if response.content_type == "application/json":
            return json.loads(text or b"{}")
        return text.decode("utf-8", errors="replace")

    async def lines(
        self, path: str, *, what: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[bytes]:
        """The lines of a streamed answer (watch events, followed logs) until the server ends it."""
        headers = connection.auth_headers(self._configuration)
        try:
            response = await self._client().get(
                path.lstrip("/"),
                params=_query(params),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
            )
        except aiohttp.ClientError as error:
            raise errors.TrainingError(f"{what}: cannot reach the API server: {error}") from error
        async with response:
            if response.status >= 400:
                raise errors.from_response(response.status, await response.read(), what=what)
            async for line in response.content:
                yield line.rstrip(b"\n")


def _query(params: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        k: str(v).lower() if isinstance(v, bool) else str(v)
        for k, v in (params or {}).items()
        if v is not None
    }
