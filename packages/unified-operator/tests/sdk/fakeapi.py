"""A small Kubernetes API server for SDK tests: the paths, selectors, watch and status the SDK uses.

It runs on loopback in its own thread (the sync client blocks), keeps objects in memory, applies label and
field selectors, streams watches and followed logs, and records every request so tests can assert the wire.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

SERVED = {
    ("kubeflow.org", "v1"): {
        "tfjobs": "TFJob",
        "pytorchjobs": "PyTorchJob",
        "mxjobs": "MXJob",
        "xgboostjobs": "XGBoostJob",
    },
    ("kubeflow.org", "v2beta1"): {"mpijobs": "MPIJob"},
}
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    content_type: str
    body: Any


@dataclass
class State:
    namespaces: set[str] = field(default_factory=lambda: {"default", "team", "forbidden"})
    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    history: list[tuple[int, str, str, dict[str, Any]]] = field(default_factory=list)
    logs: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    open_logs: set[tuple[str, str]] = field(default_factory=set)
    requests: list[Recorded] = field(default_factory=list)


def status(code: int, reason: str, message: str, **details: Any) -> web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }
    return web.json_response(body, status=code)


def merge(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def matches(selector: str | None, values: Mapping[str, str]) -> bool:
    for term in filter(None, (selector or "").split(",")):
        key, _, wanted = term.partition("=")
        if values.get(key) != wanted:
            return False
    return True


def flat_fields(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata") or {}
    involved = obj.get("involvedObject") or {}
    return {
        "metadata.name": meta.get("name", ""),
        "metadata.namespace": meta.get("namespace", ""),
        **{f"involvedObject.{k}": str(v) for k, v in involved.items()},
    }


class FakeApiServer:
    """Run with `start()`; every public helper is safe to call from the test's thread or loop."""

    def __init__(self) -> None:
        self.state = State()
        self._rv = itertools.count(1)
        self._uid = itertools.count(1)
        self.loop = asyncio.new_event_loop()
        self._changed = asyncio.Condition()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.url = ""
        self._runner: web.AppRunner | None = None

    # --- life cycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()

    def write_kubeconfig(self, path: Path, namespace: str | None = None) -> Path:
        context: dict[str, Any] = {"cluster": "fake", "user": "tester"}
        if namespace:
            context["namespace"] = namespace
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "fake",
            "clusters": [{"name": "fake", "cluster": {"server": self.url}}],
            "contexts": [{"name": "fake", "context": context}],
            "users": [{"name": "tester", "user": {"token": "secret-token"}}],
        }
        path.write_text(json.dumps(config))
        return path

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/apis/{group}/{version}/namespaces/{ns}/{plural}", self._collection)
        app.router.add_route("*", "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}", self._named)
        app.router.add_route(
            "*", "/apis/{group}/{version}/namespaces/{ns}/{plural}/{name}/status", self._status
        )
        app.router.add_get("/api/v1/namespaces/{ns}/pods", self._pods)
        app.router.add_get("/api/v1/namespaces/{ns}/pods/{name}/log", self._log)
        app.router.add_get("/api/v1/namespaces/{ns}/events", self._events)
        app.middlewares.append(self._record)
        self._runner = web.AppRunner(app, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"

    async def _stop(self) -> None:
        assert self._runner is not None
        await self._runner.cleanup()

    # --- helpers for tests ----------------------------------------------------------------------------------

    def put(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        """Store (create or replace) an object as the operator or kubelet would; watchers see it."""
        return self._call(self._put(plural, body))

    def get(self, plural: str, namespace: str, name: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.state.objects.get((plural, namespace, name)))

    def set_conditions(self, plural: str, namespace: str, name: str, *types: str) -> None:
        """Give the job the listed conditions, all True except earlier Running ones (as the operator does)."""
        body = self.get(plural, namespace, name)
        assert body is not None
        conditions = [
            {
                "type": t,
                "status": "True",
                "reason": f"Job{t}",
                "message": f"job is {t.lower()}",
                "lastTransitionTime": f"2024-01-01T00:00:{i:02d}Z",
            }
            for i, t in enumerate(types)
        ]
        if "Succeeded" in types or "Failed" in types:
            for c in conditions:
                if c["type"] == "Running":
                    c["status"] = "False"
        body["status"] = {**(body.get("status") or {}), "conditions": conditions}
        self.put(plural, body)

    def add_pod(
        self,
        namespace: str,
        name: str,
        labels: dict[str, str],
        *,
        phase: str = "Running",
        containers: tuple[str, ...] = ("pytorch",),
        log: tuple[str, ...] = (),
    ) -> None:
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": c, "image": "img"} for c in containers]},
            "status": {"phase": phase},
        }
        self.put("pods", pod)
        for container in containers:
            self.state.logs[(namespace, name, container)] = list(log)

    def add_event(self, namespace: str, kind: str, name: str, message: str, reason: str = "Created") -> None:
        event = {
            "metadata": {"name": f"{name}.{next(self._uid)}", "namespace": namespace},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
            "reason": reason,
            "message": message,
            "type": "Normal",
            "lastTimestamp": "2024-01-01T00:00:00Z",
        }
        self.put("events", event)

    def keep_log_open(self, namespace: str, pod: str) -> None:
        self.state.open_logs.add((namespace, pod))

    def append_log(self, namespace: str, pod: str, container: str, *lines: str, close: bool = False) -> None:
        async def append() -> None:
            self.state.logs[(namespace, pod, container)].extend(lines)
            if close:
                self.state.open_logs.discard((namespace, pod))
            async with self._changed:
                self._changed.notify_all()

        self._call(append())

    def requests(self, method: str | None = None, contains: str = "") -> list[Recorded]:
        return [r for r in self.state.requests if (method in (None, r.method)) and contains in r.path]

    # --- storage --------------------------------------------------------------------------------------------

    async def _put(self, plural: str, body: dict[str, Any]) -> dict[str, Any]:
        body = copy.deepcopy(body)
        meta = body.setdefault("metadata", {})
        key = (plural, meta["namespace"], meta["name"])
        old = self.state.objects.get(key)
        meta.setdefault("uid", (old or {}).get("metadata", {}).get("uid") or f"uid-{next(self._uid)}")
        meta.setdefault("creationTimestamp", "2024-01-01T00:00:00Z")
        meta["resourceVersion"] = str(next(self._rv))
        self.state.objects[key] = body
        await self._notify("MODIFIED" if old else "ADDED", plural, body)
        return copy.deepcopy(body)

    async def _notify(self, event_type: str, plural: str, body: dict[str, Any]) -> None:
        self.state.history.append(
            (int(body["metadata"]["resourceVersion"]), event_type, plural, copy.deepcopy(body))
        )
        async with self._changed:
            self._changed.notify_all()

    # --- handlers -------------------------------------------------------------------------------------------

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw) if raw else None
        self.state.requests.append(
            Recorded(request.method, request.path, dict(request.query), request.content_type, body)
        )
        if request.headers.get("Authorization") != "Bearer secret-token":
            return status(401, "Unauthorized", "Unauthorized")
        if request.match_info.get("ns") == "forbidden":
            return status(
                403, "Forbidden", f'user "tester" cannot {request.method.lower()} in namespace "forbidden"'
            )
        return await handler(request)

    def _served(self, request: web.Request) -> str | None:
        info = request.match_info
        return SERVED.get((info["group"], info["version"]), {}).get(info["plural"])

    async def _collection(self, request: web.Request) -> web.StreamResponse:
        kind, ns, plural = self._served(request), request.match_info["ns"], request.match_info["plural"]
        if kind is None:
            return status(404, "NotFound", "the server could not find the requested resource")
        if request.method == "POST":
            return await self._create(request, kind, plural, ns)
        if _flag(request.query.get("watch")):
            return await self._watch(request, plural, ns)
        items = [o for (p, n, _), o in self.state.objects.items() if p == plural and n == ns]
        items = [
            o for o in items if matches(request.query.get("labelSelector"), o["metadata"].get("labels") or {})
        ]
        return web.json_response(
            {
                "apiVersion": "v1",
                "kind": f"{kind}List",
                "items": items,
                "metadata": {"resourceVersion": str(next(self._rv))},
            }
        )

    async def _create(self, request: web.Request, kind: str, plural: str, ns: str) -> web.Response:
        body = await request.json()
        if ns not in self.state.namespaces:
            return status(404, "NotFound", f'namespaces "{ns}" not found', name=ns, kind="namespaces")
        name = (body.get("metadata") or {}).get("name", "")
        if not DNS1035.match(name) or body.get("kind") != kind:
            causes = [
                {
                    "reason": "FieldValueInvalid",
                    "field": "metadata.name",
                    "message": f'Invalid value: "{name}": a DNS-1035 label must consist of lower case',
                }
            ]
            return status(
                422,
                "Invalid",
                f'{kind}.kubeflow.org "{name}" is invalid: metadata.name: Invalid value',
                name=name,
                kind=plural,
                causes=causes,
            )
        if (plural, ns, name) in self.state.objects:
            return status(409, "AlreadyExists", f'{plural}.kubeflow.org "{name}" already exists', name=name)
        body["metadata"]["namespace"] = ns
        return web.json_response(await self._put(plural, body), status=201)

    async def _named(self, request: web.Request) -> web.Response:
        kind, ns, name = self._served(request), request.match_info["ns"], request.match_info["name"]
        plural = request.match_info["plural"]
        if kind is None:
            return status(404, "NotFound", "the server could not find the requested resource")
        current = self.state.objects.get((plural, ns, name))
        if current is None:
            return status(
                404, "NotFound", f'{plural}.kubeflow.org "{name}" not found', name=name, kind=plural
            )
        if request.method == "GET":
            return web.json_response(current)
        if request.method == "PATCH":
            if request.content_type != "application/merge-patch+json":
                return status(415, "UnsupportedMediaType", request.content_type)
            return web.json_response(await self._put(plural, merge(current, await request.json())))
        if request.method == "DELETE":
            del self.state.objects[(plural, ns, name)]
            current["metadata"]["resourceVersion"] = str(next(self._rv))
            await self._notify("DELETED", plural, current)
            return web.json_response(current)
        return status(405, "MethodNotAllowed", request.method)

    async def _status(self, request: web.Request) -> web.Response:
        return status(405, "MethodNotAllowed", "status is written by tests through put()")

    async def _watch(self, request: web.Request, plural: str, ns: str) -> web.StreamResponse:
        since = int(request.query.get("resourceVersion") or 0)
        selector = request.query.get("fieldSelector")
        response = web.StreamResponse()
        await response.prepare(request)
        try:
            async with asyncio.timeout(float(request.query.get("timeoutSeconds") or 30)):
                while True:
                    seen = list(self.state.history)
                    for rv, event_type, p, obj in seen:
                        if (
                            rv > since
                            and p == plural
                            and obj["metadata"].get("namespace") == ns
                            and matches(selector, flat_fields(obj))
                        ):
                            await response.write(
                                json.dumps({"type": event_type, "object": obj}).encode() + b"\n"
                            )
                    since = max([since, *(h[0] for h in seen)])
                    async with self._changed:
                        await self._changed.wait_for(lambda seen=seen: len(self.state.history) > len(seen))
        except TimeoutError:
            pass
        return response

    async def _pods(self, request: web.Request) -> web.Response:
        ns = request.match_info["ns"]
        items = [o for (p, n, _), o in self.state.objects.items() if p == "pods" and n == ns]
        items = [
            o for o in items if matches(request.query.get("labelSelector"), o["metadata"].get("labels") or {})
        ]
        return web.json_response({"apiVersion": "v1", "kind": "PodList", "items": items, "metadata": {}})

    async def _events(self, request: web.Request) -> web.Response:
        ns = request.match_info["ns"]
        items = [o for (p, n, _), o in self.state.objects.items() if p == "events" and n == ns]
        items = [o for o in items if matches(request.query.get("fieldSelector"), flat_fields(o))]
        return web.json_response({"apiVersion": "v1", "kind": "EventList", "items": items, "metadata": {}})

    async def _log(self, request: web.Request) -> web.StreamResponse:
        ns, name = request.match_info["ns"], request.match_info["name"]
        pod = self.state.objects.get(("pods", ns, name))
        if pod is None:
            return status(404, "NotFound", f'pods "{name}" not found', name=name, kind="pods")
        containers = [c["name"] for c in pod["spec"]["containers"]]
        container = request.query.get("container") or (containers[0] if len(containers) == 1 else None)
        if container not in containers:
            return status(400, "BadRequest", f"a container name must be specified for pod {name}")
        lines = self.state.logs[(ns, name, container)]
        if not _flag(request.query.get("follow")):
            return web.Response(text="".join(line + "\n" for line in lines))
        response = web.StreamResponse()
        await response.prepare(request)
        sent = 0
        while True:
            for line in lines[sent:]:
                await response.write(line.encode() + b"\n")
            sent = len(lines)
            if (ns, name) not in self.state.open_logs:
                break
            async with self._changed:
                await self._changed.wait_for(
                    lambda sent=sent: len(lines) > sent or (ns, name) not in self.state.open_logs
                )
        return response


def _flag(value: str | None) -> bool:
    """Booleans as the real API server reads them: absent, 0 or false (any case) is false."""
    return value is not None and value.lower() not in ("0", "false")
