"""The aiohttp application: authentication, request accounting, fault hooks, discovery and routing.

Listens on loopback only, over TLS with a per-state-dir CA (client-go will not send a bearer token over
plain HTTP); the bearer token (random per state dir, in the kubeconfig with mode 0600) keeps other local
users out. Who a request is, and what an anonymous or limited user may not do, is `authn`'s; see
docs/local-cluster.md.
"""

import contextvars
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from training_operator.local import admission, apidiscovery, authn, errors, openapi, routing
from training_operator.local.faults import Faults
from training_operator.local.handlers import LogSource, ResourceHandlers, dump
from training_operator.local.registry import Registry
from training_operator.local.watching import Watches

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_ANONYMOUS = frozenset({"/version", "/healthz", "/readyz", "/livez"})
#: the authenticated user of the request being handled (task-local; None: anonymous)
_USER: contextvars.ContextVar[str | None] = contextvars.ContextVar("user", default=None)


class ApiServer:
    """Builds the aiohttp app over a registry; `faults` and `watches` are the test hooks."""

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

    def app(self) -> web.Application:
        """The application, with every route."""
        app = web.Application(
            middlewares=[self._warnings, self._errors, self._auth], client_max_size=64 * 1024 * 1024
        )
        app.router.add_get("/version", self._version)
        for path in ("/healthz", "/readyz", "/livez"):
            app.router.add_get(path, self._ok)
        for suffix in ("", "/"):  # the Python client asks for "/api/" and "/apis/"
            app.router.add_get(f"/api{suffix}", self._api)
            app.router.add_get(f"/apis{suffix}", self._apis)
        app.router.add_get("/apis/{group}", self._group)
        app.router.add_get("/api/{version}", self._core_resources)
        app.router.add_get("/apis/{group}/{version}", self._group_resources)
        app.router.add_get("/debug/requests", self._requests)
        app.router.add_delete("/debug/requests", self._reset_requests)
        app.router.add_post("/debug/faults", self._add_fault)
        app.router.add_delete("/debug/faults", self._clear_faults)
        app.router.add_post("/debug/watches/cut", self._cut_watches)
        app.router.add_post("/debug/tokens", self._issue_token)
        app.router.add_post("/debug/forbid", self._forbid)
        app.router.add_get("/openapi/v2", self._no_openapi)
        app.router.add_get("/openapi/v3", self._openapi_v3)
        app.router.add_get("/openapi/v3/api/{version}", self._openapi_gv)
        app.router.add_get("/openapi/v3/apis/{group}/{version}", self._openapi_gv)
        app.router.add_route("*", "/api/{tail:.+}", self._resource)
        app.router.add_route("*", "/apis/{tail:.+}", self._resource)
        return app

    @web.middleware
    async def _warnings(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Admission warnings as `Warning` headers, on a refusal as on a success (the API server's way)."""
        collected: list[str] = []
        admission.WARNINGS.set(collected)
        response = await handler(request)
        if collected and not response.prepared:  # a stream's head is already sent; no write streams
            for text in collected:
                response.headers.add("Warning", admission.warning_header(text))
        return response

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except errors.ApiError as exc:
            response = dump(exc.status(), exc.code)
            response.headers.update(exc.headers)
            return response
        except web.HTTPNotFound:
            return dump(errors.not_found_path(request.path).status(), 404)
        except web.HTTPMethodNotAllowed:
            return dump(errors.method_not_allowed().status(), 405)
        except (ConnectionResetError, web.HTTPException):
            raise
        except Exception as exc:
            log.exception("request %s %s failed", request.method, request.path)
            return dump(errors.internal(repr(exc)).status(), 500)

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in _ANONYMOUS:
            return await handler(request)
        debug = request.path.startswith("/debug/")
        user = self.authn.authenticate(request.headers.get("Authorization", ""), debug=debug)
        user = authn.impersonated(user, request.headers)
        _USER.set(user)
        if (user is None and not _is_resource_path(request.path)) or (debug and user != authn.ADMIN):
            raise authn.forbidden_path(user, request.path)
        return await handler(request)

    async def _resource(self, request: web.Request) -> web.StreamResponse:
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

    async def _dispatch(self, request: web.Request, target: routing.Target, verb: str) -> web.StreamResponse:
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
    async def _version(self, _request: web.Request) -> web.Response:
        return dump(apidiscovery.version_info(self.kubernetes_version))

    async def _ok(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _api(self, _request: web.Request) -> web.Response:
        return dump(apidiscovery.core_versions())

    async def _apis(self, _request: web.Request) -> web.Response:
        return dump(apidiscovery.group_list(self.registry.catalog))

    async def _group(self, request: web.Request) -> web.Response:
        body = apidiscovery.group(self.registry.catalog, request.match_info["group"])
        if body is None:
            raise errors.not_found_path(request.path)
        return dump(body)

    async def _core_resources(self, request: web.Request) -> web.Response:
        body = apidiscovery.resource_list(self.registry.catalog, "", request.match_info["version"])
        if body is None:
            raise errors.not_found_path(request.path)
        return dump(body)

    async def _group_resources(self, request: web.Request) -> web.Response:
        body = apidiscovery.resource_list(
            self.registry.catalog, request.match_info["group"], request.match_info["version"]
        )
        if body is None:
            raise errors.not_found_path(request.path)
        return dump(body)

    async def _no_openapi(self, request: web.Request) -> web.Response:
        raise errors.not_found_path(request.path)

    async def _openapi_v3(self, _request: web.Request) -> web.Response:
        return dump(openapi.index(self.registry.catalog))

    async def _openapi_gv(self, request: web.Request) -> web.Response:
        body = openapi.group_version(
            self.registry.catalog, request.match_info.get("group", ""), request.match_info["version"]
        )
        if body is None:
            raise errors.not_found_path(request.path)
        return dump(body)

    # -- debug hooks --------------------------------------------------------------------------------
    async def _requests(self, _request: web.Request) -> web.Response:
        return dump({**self.faults.snapshot(), "openWatches": self.watches.count})

    async def _reset_requests(self, _request: web.Request) -> web.Response:
        self.faults.counts.clear()
        self.faults.by_user.clear()
        return dump({})

    async def _add_fault(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("expireWatches"):
            self.faults.expire_next_watches += int(body["expireWatches"])
            return dump({"expireWatches": self.faults.expire_next_watches}, 201)
        kwargs = {k: body[k] for k in ("code", "resource", "nth", "times", "mode") if k in body}
        if "verbs" in body:
            kwargs["verbs"] = frozenset(body["verbs"])
        return dump(self.faults.add(**kwargs).to_dict(), 201)

    async def _clear_faults(self, _request: web.Request) -> web.Response:
        self.faults.clear()
        return dump({})

    async def _issue_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        token, expires = self.authn.issue(str(body["user"]), float(body.get("ttlSeconds", 3600)))
        return dump({"token": token, "expires": expires}, 201)

    async def _forbid(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.authn.forbid(str(body["user"]), [str(r) for r in body["resources"]])
        return dump({}, 201)

    async def _cut_watches(self, _request: web.Request) -> web.Response:
        count = self.watches.count + self.faults.stalled
        self.watches.cut_all()
        self.faults.release_stalls()
        return dump({"cut": count})


def _is_resource_path(path: str) -> bool:
    """`/api/v1/<resource>…` or `/apis/<group>/<version>/<resource>…`, as opposed to discovery."""
    parts = [p for p in path.split("/") if p]
    return (len(parts) >= 3 and parts[0] == "api") or (len(parts) >= 4 and parts[0] == "apis")
