"""One handler per verb for resource URLs, translating HTTP to `Registry` calls and back.

Thin on purpose: parsing query parameters and bodies, choosing JSON or Table output, and paging. Write
rules live in the registry, deletion rules in `deletion.py`, watch mechanics in `watching.py`.
"""

import base64
import json
from collections.abc import AsyncIterator
from typing import Any, Protocol

import yaml
from aiohttp import web

from training_operator.local import (
    applying,
    deletion,
    errors,
    jsonpath,
    patching,
    routing,
    selectors,
    tables,
    watching,
    wire,
)
from training_operator.local.registry import (
    APPLY_PATCH,
    STRICT_BY_DEFAULT,
    STRICT_FIELDS,
    WRITER,
    Obj,
    Registry,
)
from training_operator.local.routing import Target


class LogSource(Protocol):
    """Where pods/log reads from: the kubelet."""

    def stream(
        self,
        namespace: str,
        name: str,
        *,
        container: str | None,
        follow: bool,
        tail_lines: int | None,
        previous: bool,
        limit_bytes: int | None,
    ) -> AsyncIterator[bytes]:
        """Log bytes of one container; raises ApiError (400) when there is nothing to read."""


def dump(body: Any, status: int = 200) -> web.Response:
    """A JSON response, compact as the API server writes it."""
    return web.Response(body=wire.encode(body), status=status, content_type="application/json")


def _render(target: Target, obj: Obj) -> Obj:
    api_version = target.rtype.api_version(target.version)
    if obj.get("apiVersion") == api_version:
        return obj
    return {**obj, "apiVersion": api_version}


def _wants_table(request: web.BaseRequest) -> bool:
    return "as=Table" in request.headers.get("Accept", "")


def _strict(request: web.BaseRequest, target: Target) -> bool:
    """`fieldValidation=Strict`, or no such parameter on a write to one of our kinds' main resource.

    A real server prunes unknown fields unless asked (kubectl asks); the local cluster refuses them for the
    job kinds by default, so a typo in a job fails loudly whichever client sent it (docs/local-cluster.md).
    Status writes keep the real default: controllers never ask.
    """
    asked = request.query.get("fieldValidation")
    if asked is not None:
        return asked == "Strict"
    return target.rtype.group in STRICT_BY_DEFAULT and not target.sub


async def _body(request: web.BaseRequest) -> Any:
    content_type = request.headers.get("Content-Type", "application/json").split(";")[0].strip()
    raw = await request.read()
    if "protobuf" in content_type:
        raise errors.unsupported_media_type(content_type)
    try:
        if content_type in (APPLY_PATCH, "application/yaml"):
            return yaml.safe_load(raw)
        return wire.decode(raw or b"null")
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"error decoding request body: {exc}") from exc


def _continue_token(namespace: str, name: str, rv: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"rv": rv, "start": [namespace, name]}).encode()).decode()


def _parse_continue(token: str) -> tuple[tuple[str, str], int]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return (str(data["start"][0]), str(data["start"][1])), int(data["rv"])
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise errors.bad_request(
            "continue key is not valid: incorrect encoded start resourceVersion"
        ) from exc


class ResourceHandlers:
    """get, list, watch, create, update, patch, delete, deletecollection and subresources."""

    def __init__(self, registry: Registry, watches: watching.Watches, logs: LogSource | None) -> None:
        self.registry = registry
        self.watches = watches
        self.logs = logs

    def _written(self, target: Target, obj: Obj, status: int = 200) -> web.Response:
        """The answer to a write: the bytes the storage encoded for it, when the client reads that version."""
        rendered = _render(target, obj)
        body = self.registry.storage.encoded(obj) if rendered is obj else None
        if body is None:
            return dump(rendered, status)
        return web.Response(body=body, status=status, content_type="application/json")

    def _ns(self, target: Target) -> str:
        return target.namespace or "" if target.rtype.namespaced else ""

    async def get(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """GET one object, its status, scale or log."""
        assert target.name is not None
        if target.sub == "log":
            return await self._log(request, target)
        obj = self.registry.get(target.rtype, self._ns(target), target.name)
        if target.sub == "scale":
            return dump(self._scale(target, obj))
        if _wants_table(request):
            return dump(
                self._table(request, target, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]})
            )
        return dump(_render(target, obj))

    def _table(self, request: web.BaseRequest, target: Target, items: list[Obj], meta: dict[str, Any]) -> Obj:
        return tables.table(
            target.rtype,
            target.version,
            [_render(target, o) for o in items],
            list_meta=meta,
            include_object=request.query.get("includeObject", "Metadata"),
            now=self.registry.clock(),
        )

    async def list(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """LIST with selectors, limit and continue (pages cut from the live index)."""
        query = request.query
        matches = selectors.object_filter(
            query.get("labelSelector", ""), query.get("fieldSelector", ""), target.rtype.key
        )
        namespace = target.namespace if target.rtype.namespaced else None
        storage = self.registry.storage
        rv = storage.rv
        start: tuple[str, str] | None = None
        if query.get("continue"):
            start, rv = _parse_continue(query["continue"])
            if rv < storage.oldest_rv:
                raise errors.expired(
                    "The provided continue parameter is too old to display a consistent list result."
                )
        limit = int(query.get("limit") or 0)
        items: list[Obj] = []
        meta: dict[str, Any] = {"resourceVersion": str(rv)}
        candidates = storage.items(target.rtype.key, namespace)
        for obj in candidates:
            key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            if start is not None and key <= start:
                continue
            if not matches(obj):
                continue
            if limit and len(items) == limit:
                last = items[-1]["metadata"]
                meta["continue"] = _continue_token(last.get("namespace", ""), last["name"], rv)
                meta["remainingItemCount"] = 1 + sum(1 for o in candidates if matches(o))
                break
            items.append(obj)
        if _wants_table(request):
            return dump(self._table(request, target, items, meta))
        api_version = target.rtype.api_version(target.version)
        return dump(
            {
                "kind": f"{target.rtype.kind}List",
                "apiVersion": api_version,
                "metadata": meta,
                "items": [_render(target, o) for o in items],
            }
        )

    async def watch(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """WATCH, streamed."""
        query = request.query
        rtype = target.rtype
        if target.name:
            name_selector = f"metadata.name={target.name}"
            field_text = ",".join(x for x in (query.get("fieldSelector", ""), name_selector) if x)
        else:
            field_text = query.get("fieldSelector", "")
        matches = selectors.object_filter(query.get("labelSelector", ""), field_text, rtype.key)
        table = _wants_table(request)

        def render(obj: Obj) -> Obj:
            if table:
                return self._table(
                    request, target, [obj], {"resourceVersion": obj["metadata"]["resourceVersion"]}
                )
            return _render(target, obj)

        watch_request = watching.WatchRequest(
            resource=rtype.key,
            namespace=target.namespace if rtype.namespaced else None,
            matches=matches,
            resource_version=query.get("resourceVersion", ""),
            bookmarks=routing.flag(query.get("allowWatchBookmarks")),
            timeout=float(query.get("timeoutSeconds") or 1800),
            render=render,
            bookmark_kind=(rtype.api_version(target.version), rtype.kind),
        )
        return await self.watches.serve(request, watch_request)

    async def create(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """POST; pods/binding binds a pod to the node."""
        STRICT_FIELDS.set(_strict(request, target))
        WRITER.set(applying.Writer.of_request(request.query, request.headers.get("User-Agent")))
        body = await _body(request)
        dry_run = "dryRun" in request.query
        if target.sub == "binding" and target.name:
            return dump(await self._bind(target, body), 201)
        if target.name:
            raise errors.method_not_allowed()
        obj = await self.registry.create(
            target.rtype, self._ns(target), body, version=target.version, dry_run=dry_run, owned=True
        )
        return self._written(target, obj, 201)

    async def update(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """PUT, to the object or its status/scale/finalize subresource."""
        STRICT_FIELDS.set(_strict(request, target))
        WRITER.set(applying.Writer.of_request(request.query, request.headers.get("User-Agent")))
        assert target.name is not None
        body = await _body(request)
        if target.sub == "scale":
            return dump(await self._set_scale(target, (body.get("spec") or {}).get("replicas")))
        obj = await self.registry.update(
            target.rtype,
            self._ns(target),
            target.name,
            body,
            sub=target.sub,
            version=target.version,
            dry_run="dryRun" in request.query,
        )
        return dump(_render(target, obj))

    async def patch(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """PATCH in any of the accepted media types."""
        STRICT_FIELDS.set(_strict(request, target))
        WRITER.set(applying.Writer.of_request(request.query, request.headers.get("User-Agent")))
        assert target.name is not None
        patch_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        body = await _body(request)
        if target.sub == "scale":
            scale = self._scale(target, self.registry.get(target.rtype, self._ns(target), target.name))
            patched = (
                patching.merge_patch(scale, body)
                if patch_type != "application/json-patch+json"
                else patching.json_patch(scale, body)
            )
            return dump(await self._set_scale(target, (patched.get("spec") or {}).get("replicas")))
        created = (
            patch_type == APPLY_PATCH
            and self.registry.find(target.rtype, self._ns(target), target.name) is None
        )
        obj = await self.registry.patch(
            target.rtype,
            self._ns(target),
            target.name,
            patch_type,
            body,
            sub=target.sub,
            version=target.version,
            dry_run="dryRun" in request.query,
        )
        return dump(_render(target, obj), 201 if created else 200)  # an apply that creates answers 201

    async def _delete_options(self, request: web.BaseRequest) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if request.can_read_body:
            body = await _body(request)
            if isinstance(body, dict):
                options.update(body)
        for key in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
            if key in request.query:
                value: Any = request.query[key]
                options[key] = (
                    int(value)
                    if key == "gracePeriodSeconds"
                    else routing.flag(value)
                    if key == "orphanDependents"
                    else value
                )
        return options

    async def delete(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """DELETE one object."""
        assert target.name is not None
        options = await self._delete_options(request)
        obj = await deletion.delete(
            self.registry,
            target.rtype,
            self._ns(target),
            target.name,
            options,
            dry_run="dryRun" in request.query,
        )
        return dump(_render(target, obj))

    async def delete_collection(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        """DELETE on a collection: every object the selectors match."""
        options = await self._delete_options(request)
        matches = selectors.object_filter(
            request.query.get("labelSelector", ""), request.query.get("fieldSelector", ""), target.rtype.key
        )
        namespace = target.namespace if target.rtype.namespaced else None
        deleted = await deletion.delete_collection(
            self.registry, target.rtype, namespace, matches, options, dry_run="dryRun" in request.query
        )
        return dump(
            {
                "kind": f"{target.rtype.kind}List",
                "apiVersion": target.rtype.api_version(target.version),
                "metadata": {"resourceVersion": str(self.registry.storage.rv)},
                "items": [_render(target, o) for o in deleted],
            }
        )

    # -- subresources ---------------------------------------------------------------------------
    async def _log(self, request: web.BaseRequest, target: Target) -> web.StreamResponse:
        assert target.name is not None
        self.registry.get(target.rtype, self._ns(target), target.name)
        if self.logs is None:
            raise errors.bad_request("no kubelet is running in this server: pod logs are not available")
        query = request.query
        tail = int(query["tailLines"]) if query.get("tailLines") else None
        limit = int(query["limitBytes"]) if query.get("limitBytes") else None
        chunks = self.logs.stream(
            self._ns(target),
            target.name,
            container=query.get("container"),
            follow=routing.flag(query.get("follow")),
            tail_lines=tail,
            previous=routing.flag(query.get("previous")),
            limit_bytes=limit,
        )
        iterator = chunks.__aiter__()
        first = await anext(iterator, b"")  # errors surface before the 200 is sent
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        try:
            await response.write(first)
            async for chunk in iterator:
                await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:  # the reader left (a closed log view): as kube-apiserver, stop quietly
            pass
        return response

    def _scale(self, target: Target, obj: Obj) -> Obj:
        paths = target.rtype.scale_paths or {}
        if not target.rtype.is_custom:
            raise errors.not_found_path(target.sub)

        def read(key: str) -> Any:
            values = jsonpath.evaluate(obj, paths.get(key, "")) if paths.get(key) else []
            return values[0] if values else None

        status: dict[str, Any] = {"replicas": read("statusReplicasPath") or 0}
        if read("labelSelectorPath"):
            status["selector"] = read("labelSelectorPath")
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": read("specReplicasPath") or 0},
            "status": status,
        }

    async def _set_scale(self, target: Target, replicas: Any) -> Obj:
        assert target.name is not None
        if not isinstance(replicas, int) or replicas < 0:
            raise errors.invalid(
                "autoscaling",
                "Scale",
                target.name,
                [
                    errors.cause(
                        "spec.replicas",
                        "FieldValueInvalid",
                        f"Invalid value: {replicas}: must be greater than or equal to 0",
                    )
                ],
            )
        path = (
            (target.rtype.scale_paths or {}).get("specReplicasPath", ".spec.replicas").lstrip(".").split(".")
        )
        patch: dict[str, Any] = {}
        cursor = patch
        for part in path[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[path[-1]] = replicas
        obj = await self.registry.patch(
            target.rtype,
            self._ns(target),
            target.name,
            "application/merge-patch+json",
            patch,
            version=target.version,
        )
        return self._scale(target, obj)

    async def _bind(self, target: Target, body: Obj) -> Obj:
        assert target.name is not None
        node = ((body or {}).get("target") or {}).get("name")
        pod = self.registry.get(target.rtype, self._ns(target), target.name)
        if pod["spec"].get("nodeName"):
            raise errors.conflict(
                "",
                "pods",
                target.name,
                f"pod {target.name} is already assigned to node {pod['spec']['nodeName']!r}",
            )
        new = json.loads(json.dumps(pod))
        new["spec"]["nodeName"] = node
        await self.registry.write(target.rtype, pod, new)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}
