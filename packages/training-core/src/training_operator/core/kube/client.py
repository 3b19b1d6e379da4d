"""A small asyncio client for the Kubernetes REST API: raw JSON in, raw JSON out.

No typed client models on the hot path (they cost more to build than the reconcile itself), a client-side
token-bucket rate limit and a bound on concurrent requests (`--kube-api-qps`, `--kube-api-burst`), and errors
that carry the API server's Status reason so callers can tell AlreadyExists from Conflict.

Credentials come from `core.access` on every request: a rotated token file or a renewed exec credential is
used as soon as it is due, and a 401 refreshes the credential and retries the request once. A 429 or 5xx
that names a Retry-After is sent again after it, up to ten times, as client-go does (`retry`).

JSON goes through orjson (`codec`): parsing watch events and create answers was the largest single cost of
the operator's CPU per child. Every request is reported to an optional `RequestObserver` (the operator's
client-side request metrics, `core.metrics`), as client-go reports to its metrics provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import aiohttp
from yarl import URL

from training_operator.core.access import Credentials
from training_operator.core.access.proxy import Proxy
from training_operator.core.kube import codec, retry, socks
from training_operator.core.kube.http1 import Http1Pool

log = logging.getLogger(__name__)
JSON = dict[str, Any]
MERGE_PATCH = "application/merge-patch+json"
#: seconds past a watch's timeoutSeconds after which a silent stream counts as stalled
WATCH_SILENCE_GRACE = 30.0
#: idle pooled connections are kept this long (under aiohttp's server default of 75 s; Go's client keeps 90)
KEEPALIVE_SECONDS = 60.0
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._~:@-]*")
#: sent with every request; gzip as aiohttp and client-go ask for it (kube-apiserver compresses large lists)
_HEADERS = {"Accept": "application/json", "User-Agent": "training-operator", "Accept-Encoding": "gzip"}


class ApiError(Exception):
    """A non-2xx answer, with the Status object's reason (`AlreadyExists`, `Conflict`, `NotFound`, ...)."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"{status} {reason}: {message}")
        self.status = status
        self.reason = reason
        self.message = message

    @property
    def not_found(self) -> bool:
        """404: the object (or its kind) does not exist."""
        return self.status == 404

    @property
    def already_exists(self) -> bool:
        """409 AlreadyExists on create (a 409 Conflict on update is something else)."""
        return self.status == 409 and self.reason == "AlreadyExists"

    @property
    def gone(self) -> bool:
        """410: the resourceVersion is older than the server's history."""
        return self.status == 410


class RequestObserver(Protocol):
    """Where every request's outcome is reported (`core.metrics.Metrics`): once its answer (or, for a watch,
    its response headers) arrived, or it failed without one (`code` 0)."""

    def api_request(
        self, *, host: str, method: str, path: str, code: int, outcome: str, seconds: float
    ) -> None: ...


def outcome_of(code: int, reason: str = "") -> str:
    """A bounded name for a request's result: `success`, `already_exists`, `conflict`, `not_found`, …,
    `error` when no answer came (a foreign server's free-text reason never becomes a label)."""
    if 200 <= code < 300:
        return "success"
    if code == 409:
        return "already_exists" if reason == "AlreadyExists" else "conflict"
    return _OUTCOMES.get(code) or ("server_error" if code >= 500 else "client_error" if code else "error")


_OUTCOMES = {
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    410: "gone",
    422: "invalid",
    429: "throttled",
}


class TokenBucket:
    """`qps` requests per second on average, bursts of up to `burst`, on the event loop's clock."""

    def __init__(self, qps: float, burst: int) -> None:
        self.qps = qps
        self.capacity = float(max(burst, 1))
        self.tokens = self.capacity
        self.stamp: float | None = None

    async def take(self) -> None:
        """Wait until a request may be sent."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            if self.stamp is not None:
                self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.qps)
            self.stamp = now
            if self.tokens >= 1 or self.qps <= 0:
                self.tokens -= 1
                return
            await asyncio.sleep((1 - self.tokens) / self.qps)


def proxy_options(proxy: Proxy | None) -> dict[str, Any]:
    """An aiohttp session's `proxy` for the credentials' http proxy (none, or a SOCKS5 one: nothing; see
    `connector`). Its user and password ride in the URL, from which aiohttp sends them as
    Proxy-Authorization (its `proxy_auth` is deprecated)."""
    return {} if proxy is None or proxy.socks else {"proxy": proxy.url}


def connector(proxy: Proxy | None, **options: Any) -> aiohttp.BaseConnector:
    """An aiohttp session's connector (`options`: TCPConnector's): through a SOCKS5 proxy when the
    credentials name one, else direct (an http proxy is the session's `proxy_options`)."""
    if proxy is not None and proxy.socks:
        return socks.connector(proxy, **options)
    return aiohttp.TCPConnector(**options)


class ApiClient:
    """JSON requests and watch streams against one API server."""

    def __init__(
        self,
        access: Credentials,
        *,
        qps: float = 50.0,
        burst: int = 100,
        concurrency: int = 32,
        observer: RequestObserver | None = None,
    ):
        self.access = access
        self.limiter = TokenBucket(qps, burst)
        self.gate = asyncio.Semaphore(concurrency)
        self.session: aiohttp.ClientSession | None = None
        self.observer = observer
        self.host = urlsplit(access.server).netloc
        #: requests (not watches) go through a lean HTTP/1.1 client: aiohttp's costs as much CPU again (a
        #: server address it cannot read is left to aiohttp, whose error it was before)
        self.http1: Http1Pool | None = None
        with contextlib.suppress(ValueError):
            self.http1 = Http1Pool(
                access.server, keepalive=KEEPALIVE_SECONDS, server_name=access.server_name, proxy=access.proxy
            )

    async def __aenter__(self) -> ApiClient:
        # pairs, not a dict: an impersonated group or extra repeats its header, as client-go sends them
        headers = [*{**_HEADERS, **await self.access.async_headers()}.items(), *self.access.impersonation]
        # requests pass their own TLS context (an exec plug-in may renew the client certificate); this
        # default serves code that streams through the session directly (with `stream_options()`)
        # no cookie jar, as client-go has none: filtering cookies was a fifth of a request's client CPU
        self.session = aiohttp.ClientSession(
            self.access.server,
            headers=headers,
            connector=connector(
                self.access.proxy, limit=0, ssl=self._ssl(), keepalive_timeout=KEEPALIVE_SECONDS
            ),
            cookie_jar=aiohttp.DummyCookieJar(),
            **proxy_options(self.access.proxy),
        )
        return self

    def stream_options(self) -> dict[str, Any]:
        """What a request made through `session` directly passes, so it checks the certificate as every
        other request does (kubeconfig tls-server-name) with the newest client certificate."""
        return {"ssl": self._ssl(), "server_hostname": self._server_hostname()}

    def _server_hostname(self) -> str | None:
        return self.access.server_name if self.access.server.startswith("https://") else None

    def _url(self, path: str, params: Mapping[str, str] | None) -> tuple[URL | str, Mapping[str, str] | None]:
        """The request's target: an absolute, already encoded URL for the paths we build (names are DNS
        labels), which spares aiohttp parsing, joining and re-quoting it per request; others as given."""
        if not _PLAIN_PATH.fullmatch(path):
            return path, params
        text = self.access.server + path
        if params:
            text += "?" + urlencode(params)
        return URL(text, encoded=True), None

    async def _credentials(self) -> dict[str, str]:
        """The current Authorization header; also left on the session for code that streams through it
        directly (followed logs), so it always carries the newest credential any request used."""
        assert self.session is not None
        headers = await self.access.async_headers()
        self.session.headers.update(headers)
        return headers

    def _ssl(self) -> ssl.SSLContext | bool:
        """Per request, so a client certificate renewed by an exec plug-in takes effect at once. aiohttp
        checks an https proxy with the same setting: for a plain-http server, True (the system's trust),
        never False, which would take the proxy's certificate unchecked."""
        return self.access.ssl_context() or True

    async def __aexit__(self, *exc: object) -> None:
        if self.http1 is not None:
            self.http1.close()
        if self.session is not None:
            await self.session.close()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> JSON:
        """One request; raises ApiError on a non-2xx answer."""
        assert self.session is not None, "use `async with ApiClient(...)`"
        data = None if body is None else codec.encode(body)
        plain = self.http1 is not None and _PLAIN_PATH.fullmatch(path) is not None
        target = (path + "?" + urlencode(params) if params else path) if plain else ""
        await self.limiter.take()
        attempts = retry.Attempts()
        while True:
            headers = await self._credentials()
            if data is not None:
                headers["Content-Type"] = content_type
            started = time.perf_counter()
            try:
                async with self.gate:
                    if plain and self.http1 is not None:
                        answer = await self.http1.request(
                            method,
                            target,
                            headers={**_HEADERS, **headers},
                            extra=self.access.impersonation,
                            body=data,
                            context=self.access.ssl_context(),
                        )
                        status, raw, asked = answer.status, answer.body, answer.headers.get("retry-after")
                    else:
                        status, raw, asked = await self._aiohttp_request(method, path, params, data, headers)
            except Exception:  # no answer (a cancelled request is not counted)
                self._observe(method, path, 0, "", started)
                raise
            payload: JSON = codec.decode(raw) if raw and status < 300 else _status_of(raw)
            self._observe(method, path, status, payload.get("reason", ""), started)
            if attempts.refresh(status):
                self.access.invalidate(headers)  # rotated or expired: fetch a fresh one, try once more
                continue
            wait = attempts.wait(status, asked)
            if wait is not None:
                log.debug(
                    "%s %s: %d, sent again in %gs (retry %d)", method, path, status, wait, attempts.retries
                )
                await asyncio.sleep(wait)
                await self.limiter.take()
                continue
            if status >= 300:
                text = raw.decode(errors="replace")
                raise ApiError(status, payload.get("reason", ""), payload.get("message", text))
            return payload

    async def _aiohttp_request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        data: bytes | None,
        headers: Mapping[str, str],
    ) -> tuple[int, bytes, str | None]:
        """A path with characters that need quoting: aiohttp quotes it as it always did. Status, body and
        the Retry-After header."""
        assert self.session is not None
        async with self.session.request(
            method, path, params=params, data=data, headers=headers, **self.stream_options()
        ) as r:
            return r.status, await r.read(), r.headers.get("Retry-After")

    def _observe(self, method: str, path: str, code: int, reason: str, started: float) -> None:
        if self.observer is not None:
            self.observer.api_request(
                host=self.host,
                method=method,
                path=path,
                code=code,
                outcome=outcome_of(code, str(reason)),
                seconds=time.perf_counter() - started,
            )

    async def watch(self, path: str, params: Mapping[str, str]) -> AsyncIterator[JSON]:
        """Events of one watch request until the server ends it; an ERROR event with 410 raises ApiError."""
        assert self.session is not None, "use `async with ApiClient(...)`"
        query = {**params, "watch": "true"}
        # the server ends a watch after timeoutSeconds; a stream silent for longer than that is stalled (a
        # stuck proxy, a hung server), and waiting on it would hide every later change: give up and resume
        ends_after = params.get("timeoutSeconds")
        silent_limit = float(ends_after) + WATCH_SILENCE_GRACE if ends_after else None
        timeout = aiohttp.ClientTimeout(total=None, sock_read=silent_limit)
        target, rest = self._url(path, query)
        await self.limiter.take()
        attempts = retry.Attempts()
        while True:
            headers = await self._credentials()
            started = time.perf_counter()
            try:
                response = await self.session.get(
                    target, params=rest, timeout=timeout, headers=headers, **self.stream_options()
                )
            except Exception:  # no answer (a cancelled request is not counted)
                self._observe("WATCH", path, 0, "", started)
                raise
            async with response:
                if attempts.refresh(response.status):
                    self._observe("WATCH", path, 401, "", started)
                    self.access.invalidate(headers)  # rotated or expired: open it again with a fresh one
                    continue
                if response.status < 300:
                    self._observe("WATCH", path, response.status, "", started)
                    async for event in _events(response.content):
                        yield event
                    return
                payload = _status_of(await response.read())
                self._observe("WATCH", path, response.status, payload.get("reason", ""), started)
                wait = attempts.wait(response.status, response.headers.get("Retry-After"))
                if wait is None:
                    raise ApiError(response.status, payload.get("reason", ""), payload.get("message", ""))
            await asyncio.sleep(wait)  # asked to come back: after the wait, as a request would
            await self.limiter.take()


def _status_of(raw: bytes) -> JSON:
    """A refusal's Status object; {} when its body is none (a load balancer's HTML page in front of the API
    server, a proxy's plain text), so the refusal is an ApiError with that text, not a JSON error."""
    try:
        found = codec.decode(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def _events(stream: aiohttp.StreamReader) -> AsyncIterator[JSON]:
    """The events of a watch body, one JSON object per line. The body is read in the chunks the server
    flushed (a burst of events arrives as one chunk) and split here, rather than line by line through the
    stream reader, which costs a wake-up per event; an ERROR event raises ApiError."""
    pending = b""
    async for chunk in stream.iter_any():
        lines = (pending + chunk).split(b"\n") if pending else chunk.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.strip():
                yield _event(line)
    if pending.strip():
        yield _event(pending)


def _event(line: bytes) -> JSON:
    event: JSON = codec.decode(line)
    if event.get("type") == "ERROR":
        status = event.get("object") or {}
        raise ApiError(int(status.get("code", 500)), status.get("reason", ""), status.get("message", ""))
    return event
