"""A small asyncio Kubernetes REST client on aiohttp: raw JSON dicts in and out, no typed models.

The hot path (watch streams of thousands of pods, bursts of creates) must not pay for the kubernetes client's
model deserialisation, and must share one connection pool, one rate limit and one concurrency bound; this is
that one door. Watches bypass the rate limit (they are long-lived), as in client-go.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import AsyncIterator, Mapping
from typing import Any

import aiohttp

from training_operator.core.kube.connection import Connection
from training_operator.core.kube.ratelimit import TokenBucket

MERGE_PATCH = "application/merge-patch+json"


class ApiError(Exception):
    """A non-2xx answer: the HTTP status and the `reason` of the Kubernetes Status object."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"{status} {reason}: {message}")

    @property
    def gone(self) -> bool:
        """410: the resourceVersion is too old; the watcher must relist."""
        return self.status == 410


class KubeApi:
    """JSON requests with a client-side rate limit and a bound on requests in flight."""

    def __init__(
        self, connection: Connection, *, qps: float = 0, burst: int = 10, max_in_flight: int = 32
    ) -> None:
        self.connection = connection
        self.bucket = TokenBucket(qps=qps, burst=burst)
        self._max_in_flight = max_in_flight
        self._session: aiohttp.ClientSession | None = None
        self.requests = 0

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ssl_context: ssl.SSLContext | bool = False
            if self.connection.server.startswith("https"):
                ssl_context = _ssl_context(self.connection)
            connector = aiohttp.TCPConnector(ssl=ssl_context, limit=self._max_in_flight)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self.connection.headers(), raise_for_status=False
            )
        return self._session

    async def close(self) -> None:
        """Release the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        """One request; the decoded JSON answer, or `ApiError` for any non-2xx status."""
        await self.bucket.acquire()
        self.requests += 1
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": content_type, "Accept": "application/json"}
        url = self.connection.server + path
        async with self._client().request(method, url, params=params, data=data, headers=headers) as response:
            text = await response.text()
            if response.status >= 300:
                raise _error(response.status, text)
            return json.loads(text) if text else {}

    async def stream(self, path: str, *, params: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
        """The events of one watch request, decoded line by line, until the server closes the stream."""
        url = self.connection.server + path
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with self._client().get(url, params=params, timeout=timeout) as response:
            if response.status >= 300:
                raise _error(response.status, await response.text())
            async for line in response.content:
                if line.strip():
                    yield json.loads(line)


def _error(status: int, text: str) -> ApiError:
    try:
        payload = json.loads(text)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    return ApiError(status, str(payload.get("reason") or ""), str(payload.get("message") or text[:200]))


def _ssl_context(connection: Connection) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=connection.ca_path)
    if connection.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if connection.cert_path and connection.key_path:
        context.load_cert_chain(connection.cert_path, connection.key_path)
    return context
