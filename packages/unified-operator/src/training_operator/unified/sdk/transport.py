"""How the clients move bytes: urllib3 for the sync client, aiohttp for the async one; nothing else.

Both send a `calls.Call` and hand status, content type and body back to `calls.answer`, so what a request
means lives in one place. Host, TLS and credentials come from one `kubernetes.client.Configuration`
(kubeconfig, exec plug-ins, in-cluster), and aiohttp is already in the operator's dependency tree (kopf).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import urllib3
from kubernetes.client import ApiClient
from kubernetes.watch.watch import iter_resp_lines

from training_operator.unified.sdk import calls, connection

#: seconds to open a connection, for streams whose reads may legitimately wait much longer
CONNECT_TIMEOUT = 30.0


class SyncApi:
    """Blocking requests over the kubernetes client's urllib3 pool (its TLS and proxy settings)."""

    def __init__(self, api_client: ApiClient) -> None:
        self.api_client = api_client
        self._configuration = api_client.configuration
        self._pool: Any = api_client.rest_client.pool_manager

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()

    def request(self, call: calls.Call, *, timeout: float | None = None) -> Any:
        """One API call; the decoded answer, or the typed error for a failure."""
        response = self._open(call, urllib3.Timeout(total=timeout), preload=True, timeout=timeout)
        try:
            return calls.answer(call, response.status, response.headers.get("Content-Type"), response.data)
        finally:
            response.release_conn()

    def lines(self, call: calls.Call, *, read_timeout: float | None = None) -> Iterator[str]:
        """The lines of a streamed answer until the server ends it, or until a read waits `read_timeout`."""
        response = self._open(
            call, urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_timeout), preload=False
        )
        try:
            if response.status >= 400:
                raise calls.failure(call, response.status, response.data)
            yield from iter_resp_lines(response)  # type: ignore[no-untyped-call]
        except urllib3.exceptions.ReadTimeoutError:
            return
        finally:
            response.release_conn()

    def _open(
        self, call: calls.Call, limits: urllib3.Timeout, *, preload: bool, timeout: float | None = None
    ) -> Any:
        headers = {**call.headers(), **connection.auth_headers(self._configuration)}
        url = self._configuration.host.rstrip("/") + call.target()
        try:
            return self._pool.request(
                call.method, url, body=call.data(), headers=headers, preload_content=preload, timeout=limits
            )
        except urllib3.exceptions.TimeoutError as error:
            raise calls.too_slow(call, timeout) from error
        except urllib3.exceptions.HTTPError as error:
            raise calls.unreachable(call, error) from error


class AsyncApi:
    """One aiohttp session bound to one API server; close it with `close()`."""

    def __init__(self, configuration: Any, session: aiohttp.ClientSession | None = None) -> None:
        self._configuration = configuration
        self._session = session
        self._owns_session = session is None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(ssl=connection.ssl_context(self._configuration))
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        """Close the session if this object opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    def _url(self, call: calls.Call) -> str:
        return str(self._configuration.host).rstrip("/") + call.target()

    def _headers(self, call: calls.Call) -> dict[str, str]:
        return {**call.headers(), **connection.auth_headers(self._configuration)}

    async def request(self, call: calls.Call, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """One API call; the decoded answer, or the typed error for a failure."""
        try:
            async with asyncio.timeout(timeout):
                response = await self._client().request(
                    call.method, self._url(call), data=call.data(), headers=self._headers(call)
                )
                async with response:
                    data = await response.read()
        except TimeoutError as error:
            raise calls.too_slow(call, timeout) from error
        except aiohttp.ClientError as error:
            raise calls.unreachable(call, error) from error
        return calls.answer(call, response.status, response.headers.get("Content-Type"), data)

    async def lines(self, call: calls.Call) -> AsyncIterator[bytes]:
        """The lines of a streamed answer (watch events, followed logs) until the server ends it."""
        try:
            response = await self._client().request(
                call.method,
                self._url(call),
                headers=self._headers(call),
                timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
            )
        except aiohttp.ClientError as error:
            raise calls.unreachable(call, error) from error
        async with response:
            if response.status >= 400:
                raise calls.failure(call, response.status, await response.read())
            async for line in response.content:
                yield line.rstrip(b"\n")
