"""The HTTP front of the API server: authentication, request accounting, fault hooks, discovery and routing.

Listens on loopback only, over TLS with a per-state-dir CA (client-go will not send a bearer token over
plain HTTP); the bearer token (random per state dir, in the kubeconfig with mode 0600) keeps other local
users out. Who a request is, and what an anonymous or limited user may not do, is `authn`'s; see
docs/local-cluster.md.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import StreamReader
from aiohttp.web_protocol import RequestHandler

from training_operator.local import admission, apidiscovery, authn, errors, openapi, routing
from training_operator.local.faults import Faults
from training_operator.local.handlers import LogSource, ResourceHandlers, dump
from training_operator.local.registry import Registry
from training_operator.local.watching import Watches

log = logging.getLogger(__name__)
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
#: the largest request body accepted (a CRD with a large schema is a few MiB)
MAX_BODY = 64 * 1024 * 1024
_ANONYMOUS = frozenset({"/version", "/healthz", "/readyz", "/livez"})
#: the authenticated user of the request being handled (task-local; None: anonymous)
_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("user", default=None)


class ApiServer:
    """Serves a registry over HTTP; `faults` and `watches` are the test hooks."""

    def __init__(
        self,
        registry: Registry,
        *,
        token: str,
        logs: LogSource | None = None,
        bookmark_interval: float = 10.0,
        require_issued_tokens: bool = False,
        kubernetes_version: str | None = None,
    ) -> None:
        self.registry = registry
        self.token = token
        self.authn = authn.Authenticator(token, require_issued=require_issued_tokens)
        #: what /version reports, e.g. "1.24.3" to test clients against an older server
        self.kubernetes_version = kubernetes_version
        self.faults = Faults()
        self.watches = Watches(registry.storage, bookmark_interval=bookmark_interval)
        self.handlers = ResourceHandlers(registry, self.watches, logs)
        discovery: dict[str, Handler] = {"GET": self._api}
        groups: dict[str, Handler] = {"GET": self._apis}
        #: exact paths, by method (HEAD is answered as GET); `_route` handles the path shapes
        self._fixed: dict[str, dict[str, Handler]] = {
            "/version": {"GET": self._version},
            **{path: {"GET": self._ok} for path in ("/healthz", "/readyz", "/livez")},
            "/api": discovery,
            "/api/": discovery,  # the Python client asks for "/api/" and "/apis/"
            "/apis": groups,
            "/apis/": groups,
            "/debug/requests": {"GET": self._requests, "DELETE": self._reset_requests},
            "/debug/faults": {"POST": self._add_fault, "DELETE": self._clear_faults},
            "/debug/watches/cut": {"POST": self._cut_watches},
            "/debug/tokens": {"POST": self._issue_token},
            "/debug/forbid": {"POST": self._forbid},
            "/openapi/v2": {"GET": self._no_openapi},
            "/openapi/v3": {"GET": self._openapi_v3},
        }

    def http_server(self) -> web.Server:
        """aiohttp's low-level server around `serve` (call on the event loop that will run it)."""
        loop = asyncio.get_running_loop()

        def request(
            message: RawRequestMessage,
            payload: StreamReader,
            protocol: RequestHandler,
            writer: AbstractStreamWriter,
            task: "asyncio.Task[None]",
        ) -> web.BaseRequest:
            return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY)

        return web.Server(self.serve, request_factory=request, access_log=None)

    async def serve(self, request: web.BaseRequest) -> web.StreamResponse:
        """Every request: admission warnings, errors as Status objects, authentication, then the route.

        One function rather than aiohttp's application, router and middleware chain, which together took ~9 %
        of the server's CPU per pod create for routes that are a dictionary and a few path shapes."""
        collected: list[str] = []
        admission.WARNINGS.set(collected)
        try:
            response = await self._authenticated(request)
        except errors.ApiError as exc:
            response = dump(exc.status(), exc.code)
            response.headers.update(exc.headers)
        except (ConnectionResetError, web.HTTPException):
            raise
        except Exception as exc:
            log.exception("request %s %s failed", request.method, request.path)
            response = dump(errors.internal(repr(exc)).status(), 500)
        # Warnings go out on a refusal as on a success (the API server's way); not on a stream, already sent.
        if collected and not response.prepared:
            for text in collected:
                response.headers.add("Warning", admission.warning_header(text))
        return response

    async def _authenticated(self, request: web.BaseRequest) -> web.StreamResponse:
        path = request.path
        if path not in _ANONYMOUS:
            debug = path.startswith("/debug/")
            user = self.authn.authenticate(request.headers.get("Authorization", ""), debug=debug)
            user = authn.impersonated(user, request.headers)
            _USER.set(user)
            if (user is None and not _is_resource_path(path)) or (debug and user != authn.ADMIN):
                raise authn.forbidden_path(user, path)
        return await self._route(request)

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        path, method = request.path, request.method
        fixed = self._fixed.get(path)
        if fixed is not None:
            handler = fixed.get("GET" if method == "HEAD" else method)
            if handler is None:
                raise errors.method_not_allowed()
            return await handler(request)
        parts = path.split("/")
        openapi_gv = _openapi_group_version(parts)
        if openapi_gv is not None:
            if method not in ("GET", "HEAD"):
                raise errors.method_not_allowed()
            return self._openapi_gv(path, *openapi_gv)
        if method in ("GET", "HEAD") and len(parts) in (3, 4) and all(parts[2:]):
            if parts[1] == "apis" and len(parts) == 3:
                return self._group(path, parts[2])
            if parts[1] == "api" and len(parts) == 3:
                return self._core_resources(path, parts[2])
            if parts[1] == "apis":
                return self._group_resources(path, parts[2], parts[3])
        if path.startswith(("/api/", "/apis/")):
            return await self._resource(request)
        raise errors.not_found_path(path)

    async def _resource(self, request: web.BaseRequest) -> web.StreamResponse:
        target = routing.parse(request.path, self.registry.catalog)
        watch = routing.flag(request.query.get("watch"))
        verb = routing.verb_of(request.method, target, watch=watch)
        user = _USER.get()
        if not self.authn.allowed(user, target.resource_label):
            rtype = target.rtype
            raise authn.forbidden_resource(user, verb, rtype.plural, rtype.group, target.namespace)
        self.faults.record(verb, target.resource_label, user)
        try:
            fault = self.faults.check(verb, target.resource_label)
        except errors.ApiError as exc:
            if verb == "watch" and exc.code == 410:
                # A real server reports an expired watch as an ERROR event on a 200 stream.
                return await self.watches.error(request, exc)
            raise
        if fault is not None and fault.mode == "stall":
            return await self.faults.stall(request)
        response = await self._dispatch(request, target, verb)
        if fault is not None:  # mode "after": the verb has committed, the client does not learn it
            self.faults.answer_after(fault, target.resource_label, request)
        return response

    async def _dispatch(
        self, request: web.BaseRequest, target: routing.Target, verb: str
    ) -> web.StreamResponse:
        handlers = self.handlers
        if verb == "watch":
            return await handlers.watch(request, target)
        if verb in ("get", "list") and target.sub in ("", "status", "scale", "log"):
            if "get" not in target.rtype.verbs:
                raise errors.method_not_allowed()
            return await (handlers.get if verb == "get" else handlers.list)(request, target)
        if verb == "create" and (not target.name or target.sub == "binding"):
            return await handlers.create(request, target)
        if verb == "update" and target.name:
            return await handlers.update(request, target)
        if verb == "patch" and target.name:
            return await handlers.patch(request, target)
        if verb == "delete" and not target.sub:
            return await handlers.delete(request, target)
        if verb == "deletecollection" and "deletecollection" in target.rtype.verbs:
            return await handlers.delete_collection(request, target)
        raise errors.method_not_allowed()

    # -- discovery --------------------------------------------------------------------------------
    async def _version(self, _request: web.BaseRequest) -> web.Response:
        return dump(apidiscovery.version_info(self.kubernetes_version))

    async def _ok(self, _request: web.BaseRequest) -> web.Response:
        return web.Response(text="ok")

    async def _api(self, _request: web.BaseRequest) -> web.Response:
        return dump(apidiscovery.core_versions())

    async def _apis(self, _request: web.BaseRequest) -> web.Response:
        return dump(apidiscovery.group_list(self.registry.catalog))

    def _group(self, path: str, group: str) -> web.Response:
        body = apidiscovery.group(self.registry.catalog, group)
        if body is None:
            raise errors.not_found_path(path)
        return dump(body)

    def _core_resources(self, path: str, version: str) -> web.Response:
        body = apidiscovery.resource_list(self.registry.catalog, "", version)
        if body is None:
            raise errors.not_found_path(path)
        return dump(body)

    def _group_resources(self, path: str, group: str, version: str) -> web.Response:
        body = apidiscovery.resource_list(self.registry.catalog, group, version)
        if body is None:
            raise errors.not_found_path(path)
        return dump(body)

    async def _no_openapi(self, request: web.BaseRequest) -> web.Response:
        raise errors.not_found_path(request.path)

    async def _openapi_v3(self, _request: web.BaseRequest) -> web.Response:
        return dump(openapi.index(self.registry.catalog))

    def _openapi_gv(self, path: str, group: str, version: str) -> web.Response:
        body = openapi.group_version(self.registry.catalog, group, version)
        if body is None:
            raise errors.not_found_path(path)
        return dump(body)

    # -- debug hooks --------------------------------------------------------------------------------
    async def _requests(self, _request: web.BaseRequest) -> web.Response:
        return dump({**self.faults.snapshot(), "openWatches": self.watches.count})

    async def _reset_requests(self, _request: web.BaseRequest) -> web.Response:
        self.faults.counts.clear()
        self.faults.by_user.clear()
        return dump({})

    async def _add_fault(self, request: web.BaseRequest) -> web.Response:
        body = await request.json()
        if body.get("expireWatches"):
            self.faults.expire_next_watches += int(body["expireWatches"])
            return dump({"expireWatches": self.faults.expire_next_watches}, 201)
        kwargs = {k: body[k] for k in ("code", "resource", "nth", "times", "mode") if k in body}
        if "verbs" in body:
            kwargs["verbs"] = frozenset(body["verbs"])
        return dump(self.faults.add(**kwargs).to_dict(), 201)

    async def _clear_faults(self, _request: web.BaseRequest) -> web.Response:
        self.faults.clear()
        return dump({})

    async def _issue_token(self, request: web.BaseRequest) -> web.Response:
        body = await request.json()
        token, expires = self.authn.issue(str(body["user"]), float(body.get("ttlSeconds", 3600)))
        return dump({"token": token, "expires": expires}, 201)

    async def _forbid(self, request: web.BaseRequest) -> web.Response:
        body = await request.json()
        self.authn.forbid(str(body["user"]), [str(r) for r in body["resources"]])
        return dump({}, 201)

    async def _cut_watches(self, _request: web.BaseRequest) -> web.Response:
        count = self.watches.count + self.faults.stalled
        self.watches.cut_all()
        self.faults.release_stalls()
        return dump({"cut": count})


def _is_resource_path(path: str) -> bool:
    """`/api/v1/<resource>…` or `/apis/<group>/<version>/<resource>…`, as opposed to discovery."""
    parts = [p for p in path.split("/") if p]
    return (len(parts) >= 3 and parts[0] == "api") or (len(parts) >= 4 and parts[0] == "apis")


def _openapi_group_version(parts: list[str]) -> tuple[str, str] | None:
    """(group, version) of `/openapi/v3/api/{version}` or `/openapi/v3/apis/{group}/{version}`, else None."""
    if parts[1:3] != ["openapi", "v3"]:
        return None
    if len(parts) == 5 and parts[3] == "api" and parts[4]:
        return "", parts[4]
    if len(parts) == 6 and parts[3] == "apis" and parts[4] and parts[5]:
        return parts[4], parts[5]
    return None
