"""How the clients move bytes: urllib3 for the sync client, aiohttp for the async one; nothing else.

Both send a `calls.Call` and hand status, content type and body back to `calls.answer`, so what a request
means lives in one place. Address, TLS and credentials come from one `core.access.Credentials`: headers are
taken per request (a rotated token or renewed exec credential is used at once) and a 401 refreshes them and
retries once, as client-go does; a 429 or 5xx naming a Retry-After is sent again after it, up to ten
times (`core.kube.retry`, client-go's rule), within the call's timeout. Every answer is logged on
`REQUEST_LOG` at DEBUG (`-v` on the CLI), and the server's `Warning` headers on `serverwarnings.WARNING_LOG`.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import urllib3

from training_operator.core.access import Credentials
from training_operator.core.kube import retry
from training_operator.unified.sdk import calls, serverwarnings

if TYPE_CHECKING:  # aiohttp costs the sync client (and so `training-operator get`) a third of a second
    import aiohttp

    from training_operator.core.access.proxy import Proxy

#: seconds to open a connection, for streams whose reads may legitimately wait much longer
CONNECT_TIMEOUT = 30.0
#: one DEBUG line per answer: method, URL, status, time to the answer's head (kubectl -v=6 alike)
REQUEST_LOG = logging.getLogger("training_operator.unified.sdk.requests")


def _logged(call: calls.Call, url: str, status: int, started: float) -> None:
    if REQUEST_LOG.isEnabledFor(logging.DEBUG):
        elapsed = (time.monotonic() - started) * 1000
        REQUEST_LOG.debug("%s %s %d in %.0f ms", call.method, url, status, elapsed)


def _pools(proxy: Proxy | None, context: ssl.SSLContext | None = None) -> urllib3.PoolManager:
    """urllib3's pools for the credentials' proxy: direct, an http(s) proxy's, or a SOCKS5 one's (the proxy
    resolves the server's name: `socks5h`, as Go's dialer sends the name). An https proxy's certificate is
    checked with the server's `context`, as Go's transport and aiohttp check it (None: the system's)."""
    if proxy is None:
        return urllib3.PoolManager(num_pools=4, maxsize=16)
    if not proxy.socks:
        return urllib3.ProxyManager(
            proxy.address,
            num_pools=4,
            maxsize=16,
            proxy_headers={"Proxy-Authorization": proxy.authorization} if proxy.authorization else None,
            proxy_ssl_context=context if proxy.tls else None,
        )
    from training_operator.core.kube import socks

    socks.require(proxy)
    from urllib3.contrib.socks import SOCKSProxyManager

    return SOCKSProxyManager(proxy.url.replace("socks5://", "socks5h://", 1), num_pools=4, maxsize=16)


class SyncApi:
    """Blocking requests over one urllib3 pool manager (thread-safe, keep-alive)."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._pools = _pools(credentials.proxy)
        self._proxy_context: ssl.SSLContext | None = None  # what an https proxy's pools were made with

    def close(self) -> None:
        """Release the connection pools."""
        self._pools.clear()

    def request(self, call: calls.Call, *, timeout: float | None = None) -> Any:
        """One API call; the decoded answer, or the typed error for a failure."""
        response = self._open(call, urllib3.Timeout(total=timeout), preload=True, timeout=timeout)
        try:
            serverwarnings.report(response.headers.getlist("Warning"))
            return calls.answer(call, response.status, response.headers.get("Content-Type"), response.data)
        finally:
            response.release_conn()

    def lines(
        self,
        call: calls.Call,
        *,
        read_timeout: float | None = None,
        opened: Callable[[Any], object] | None = None,
    ) -> Iterator[str]:
        """The lines of a streamed answer until the server ends it, or until a read waits `read_timeout`.

        `opened` gets the response as soon as it exists: another thread may `shutdown()` it, which ends
        a blocked read at once (closing a followed stream nobody reads any more).
        """
        response = self._open(
            call, urllib3.Timeout(connect=CONNECT_TIMEOUT, read=read_timeout), preload=False
        )
        if opened is not None:
            opened(response)
        try:
            if response.status >= 400:
                raise calls.failure(call, response.status, response.data)
            pending = b""
            for chunk in response.stream(None, decode_content=True):  # chunk by chunk as they arrive
                pending += chunk
                *complete, pending = pending.split(b"\n")
                for line in complete:
                    yield line.decode(errors="replace")
            if pending:
                yield pending.decode(errors="replace")
        except urllib3.exceptions.ReadTimeoutError:
            return
        except urllib3.exceptions.HTTPError as error:  # the connection broke mid-stream
            raise calls.unreachable(call, error) from error
        finally:
            response.release_conn()

    def _open(
        self, call: calls.Call, limits: urllib3.Timeout, *, preload: bool, timeout: float | None = None
    ) -> Any:
        url = self.credentials.server + call.target()
        started = time.monotonic()
        attempts = retry.Attempts()
        while True:
            headers = {**call.headers(), **self.credentials.headers()}
            context = self.credentials.ssl_context()  # after the headers: an exec cert comes with them
            proxy = self.credentials.proxy
            if proxy is not None and proxy.tls and context is not self._proxy_context:
                self._pools.clear()  # the proxy's TLS is set per manager: a renewed certificate, new pools
                self._pools, self._proxy_context = _pools(proxy, context), context
            kwargs: dict[str, Any] | None = None
            if context:
                kwargs = {"ssl_context": context}
                if self.credentials.server_name:  # kubeconfig tls-server-name: SNI and the name checked
                    kwargs["server_hostname"] = self.credentials.server_name
            pool = self._pools.connection_from_url(url, pool_kwargs=kwargs)
            sent = urllib3.HTTPHeaderDict(headers)
            for name, value in self.credentials.impersonation:  # repeated, never comma-joined
                sent.add(name, value)
            try:
                response = pool.urlopen(
                    call.method,
                    call.target(),
                    body=call.data(),
                    headers=sent,
                    preload_content=preload,
                    timeout=limits,
                    retries=False,
                    redirect=False,
                )
            except urllib3.exceptions.NewConnectionError as error:  # refused: urllib3 files it under timeouts
                reason = str(error).partition(">: ")[2] or str(error)  # without the connection's repr
                raise calls.unreachable(call, reason, proxy=proxy.address if proxy else None) from error
            except urllib3.exceptions.ProxyError as error:  # the proxy itself: its TLS, or reaching it
                cause = error.original_error
                reason = str(cause).partition(">: ")[2] or str(cause)
                raise calls.unreachable(call, reason, proxy=proxy.address if proxy else None) from error
            except urllib3.exceptions.TimeoutError as error:
                raise calls.too_slow(call, timeout) from error
            except urllib3.exceptions.HTTPError as error:
                raise calls.unreachable(call, error) from error
            _logged(call, url, response.status, started)
            if attempts.refresh(response.status):
                response.drain_conn()
                self.credentials.invalidate(headers)
                continue
            wait = attempts.wait(response.status, response.headers.get("Retry-After"))
            if wait is None or (timeout is not None and time.monotonic() + wait >= started + timeout):
                return response
            response.drain_conn()
            response.release_conn()
            threading.Event().wait(wait)  # the server asked for this wait; nothing cuts it short


class AsyncApi:
    """One aiohttp session bound to one API server; close it with `close()`."""

    def __init__(self, credentials: Credentials, session: aiohttp.ClientSession | None = None) -> None:
        self.credentials = credentials
        self._session = session
        self._owns_session = session is None

    def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            from training_operator.core.kube.client import connector, proxy_options

            proxy = self.credentials.proxy
            self._session = aiohttp.ClientSession(connector=connector(proxy), **proxy_options(proxy))
        return self._session

    async def close(self) -> None:
        """Close the session if this object opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None

    async def _send(self, call: calls.Call, **options: Any) -> aiohttp.ClientResponse:
        """The response (to be closed by the caller), after one retry with fresh credentials on a 401."""
        url = self.credentials.server + call.target()
        started = time.monotonic()
        attempts = retry.Attempts()
        while True:
            headers = {**call.headers(), **await self.credentials.async_headers()}
            context = self.credentials.ssl_context()  # after the headers: an exec cert comes with them
            if context and self.credentials.server_name:  # kubeconfig tls-server-name
                options["server_hostname"] = self.credentials.server_name
            response = await self._client().request(
                call.method,
                url,
                data=call.data(),
                headers=[*headers.items(), *self.credentials.impersonation],  # repeated, never joined
                ssl=context or True,  # an https proxy is checked with it: never unchecked (False)
                **options,
            )
            _logged(call, url, response.status, started)
            if attempts.refresh(response.status):
                response.release()
                self.credentials.invalidate(headers)
                continue
            wait = attempts.wait(response.status, response.headers.get("Retry-After"))
            if wait is None:
                return response  # a call's timeout bounds the waits: it surrounds this whole loop
            response.release()
            await asyncio.sleep(wait)

    async def request(self, call: calls.Call, *, timeout: float | None = None) -> Any:  # noqa: ASYNC109
        """One API call; the decoded answer, or the typed error for a failure."""
        import aiohttp

        try:
            async with asyncio.timeout(timeout):
                response = await self._send(call)
                async with response:
                    data = await response.read()
        except TimeoutError as error:
            raise calls.too_slow(call, timeout) from error
        except aiohttp.ClientError as error:
            raise calls.unreachable(call, error) from error
        serverwarnings.report(response.headers.getall("Warning", ()))
        return calls.answer(call, response.status, response.headers.get("Content-Type"), data)

    async def lines(self, call: calls.Call) -> AsyncIterator[bytes]:
        """The lines of a streamed answer (watch events, followed logs) until the server ends it."""
        import aiohttp

        try:
            response = await self._send(call, timeout=aiohttp.ClientTimeout(total=None, sock_read=None))
        except aiohttp.ClientError as error:
            raise calls.unreachable(call, error) from error
        async with response:
            if response.status >= 400:
                raise calls.failure(call, response.status, await response.read())
            complete = False
            try:
                async for line in response.content:
                    yield line.rstrip(b"\n")
                complete = True
            except aiohttp.ClientError as error:  # the connection broke mid-stream
                raise calls.unreachable(call, error) from error
            finally:
                if not complete and response.connection is not None and response.connection.transport:
                    # left early (cancelled, closed): drop the connection now; a graceful TLS close would
                    # wait on the server and can outlive the caller's event loop
                    response.connection.transport.abort()
