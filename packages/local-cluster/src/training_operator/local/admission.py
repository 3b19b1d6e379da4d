"""Admission webhooks: call the services that Mutating/ValidatingWebhookConfigurations register.

So the operator's validating webhooks run locally exactly as they do in a cluster: `training-operator local
up` registers our ValidatingWebhookConfiguration, pointed at its operator, and this calls it.
`clientConfig.url` is called as given; `clientConfig.service` resolves through the service's Endpoints
object (or the pods it selects) to a local address, verifying TLS against `caBundle` with the service DNS
name as the expected host, as the real API server does.

The `warnings` a webhook answers, allowed or not, are collected for the request being handled in
`WARNINGS`; the HTTP layer sends them back as `Warning: 299 - "<text>"` headers (`warning_header`), as the
kube-apiserver does, so kubectl and client-go print them.
"""

import base64
import contextvars
import json
import ssl
import uuid
from typing import Any

import aiohttp

from training_operator.local import errors, patching, selectors
from training_operator.local.registry import Obj, Registry
from training_operator.local.resources import ResourceType

MUTATING = "admissionregistration.k8s.io/mutatingwebhookconfigurations"
VALIDATING = "admissionregistration.k8s.io/validatingwebhookconfigurations"
USER = {"username": "local-admin", "uid": "local-admin", "groups": ["system:masters", "system:authenticated"]}
#: The admission warnings of the request being handled (task-local), set by the HTTP layer; None for the
#: in-process controllers' writes, whose warnings nobody would read.
WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "admission_warnings", default=None
)
#: the warn-code the API server gives every warning: "Miscellaneous persistent warning" (RFC 7234)
WARN_CODE = 299


def warning_header(text: str) -> str:
    """One `Warning` header value, as the kube-apiserver writes it: code, agent "-", quoted text."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'{WARN_CODE} - "{quoted}"'


def _record_warnings(response: dict[str, Any]) -> None:
    collected = WARNINGS.get()
    if collected is None:
        return
    for warning in response.get("warnings") or []:
        if isinstance(warning, str) and warning not in collected:  # the API server drops repeats too
            collected.append(warning)


def _rule_matches(rule: dict[str, Any], rtype: ResourceType, operation: str, sub: str) -> bool:
    def has(values: list[str] | None, value: str) -> bool:
        return bool(values) and ("*" in values or value in values)  # type: ignore[operator]

    resource = f"{rtype.plural}/{sub}" if sub else rtype.plural
    resources = rule.get("resources") or []
    resource_ok = (
        resource in resources
        or "*/*" in resources
        or (not sub and "*" in resources)
        or (bool(sub) and f"*/{sub}" in resources)
        or (f"{rtype.plural}/*" in resources and bool(sub))
    )
    scope = rule.get("scope", "*")
    scope_ok = scope == "*" or (scope == "Namespaced") == rtype.namespaced
    return (
        has(rule.get("operations"), operation)
        and has(rule.get("apiGroups"), rtype.group)
        and any(has(rule.get("apiVersions"), v) for v in rtype.versions)
        and resource_ok
        and scope_ok
    )


class Webhooks:
    """The registry's `Admission`: mutating webhooks first (in name order), then validating ones."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        """Close the HTTP client."""
        if self._session is not None:
            await self._session.close()

    def _selected(
        self, config_key: str, rtype: ResourceType, operation: str, sub: str, obj: Obj
    ) -> list[dict[str, Any]]:
        storage = self.registry.storage
        if not storage.count(config_key):
            return []
        namespace = obj["metadata"].get("namespace", "")
        ns_obj = storage.get("/namespaces", "", namespace) if namespace else None
        hooks = []
        for config in storage.items(config_key):
            for hook in config.get("webhooks") or []:
                if not any(_rule_matches(r, rtype, operation, sub) for r in hook.get("rules") or []):
                    continue
                if ns_obj is not None and not selectors.labels_match(
                    selectors.selector_from_match(hook.get("namespaceSelector")), ns_obj
                ):
                    continue
                if not selectors.labels_match(selectors.selector_from_match(hook.get("objectSelector")), obj):
                    continue
                hooks.append(hook)
        return hooks

    async def admit(
        self, rtype: ResourceType, operation: str, obj: Obj, old: Obj | None, *, sub: str, dry_run: bool
    ) -> Obj:
        """Run the matching webhooks; raise the rejection a denying webhook gives."""
        for hook in self._selected(MUTATING, rtype, operation, sub, obj):
            response = await self._call(hook, rtype, operation, obj, old, sub=sub, dry_run=dry_run)
            if response is None:
                continue
            _record_warnings(response)
            self._raise_if_denied(hook, response)
            if response.get("patch"):
                patch = json.loads(base64.b64decode(response["patch"]))
                obj = patching.json_patch(obj, patch)
        for hook in self._selected(VALIDATING, rtype, operation, sub, obj):
            response = await self._call(hook, rtype, operation, obj, old, sub=sub, dry_run=dry_run)
            if response is not None:
                _record_warnings(response)
                self._raise_if_denied(hook, response)
        return obj

    @staticmethod
    def _raise_if_denied(hook: dict[str, Any], response: dict[str, Any]) -> None:
        if response.get("allowed"):
            return
        status = response.get("status") or {}
        message = status.get("message") or "denied"
        raise errors.ApiError(
            int(status.get("code") or 400),
            status.get("reason") or "BadRequest",
            f'admission webhook "{hook.get("name")}" denied the request: {message}',
        )

    def _endpoint(self, hook: dict[str, Any]) -> tuple[str, str | None]:
        config = hook.get("clientConfig") or {}
        if config.get("url"):
            return str(config["url"]), None
        service = config.get("service") or {}
        namespace, name = service.get("namespace", "default"), service.get("name", "")
        port = int(service.get("port") or 443)
        path = service.get("path") or "/"
        host = self._resolve_service(namespace, name, port)
        if host is None:
            raise errors.internal(
                f'failed calling webhook "{hook.get("name")}": service {namespace}/{name} has no endpoints'
            )
        return f"https://{host[0]}:{host[1]}{path}", f"{name}.{namespace}.svc"

    def _resolve_service(self, namespace: str, name: str, port: int) -> tuple[str, int] | None:
        storage = self.registry.storage
        endpoints = storage.get("/endpoints", namespace, name)
        for subset in (endpoints or {}).get("subsets") or []:
            addresses = subset.get("addresses") or []
            ports = subset.get("ports") or [{"port": port}]
            if addresses:
                return addresses[0]["ip"], int(ports[0]["port"])
        service = storage.get("/services", namespace, name)
        if service is None:
            return None
        target = port
        for svc_port in service.get("spec", {}).get("ports") or []:
            if svc_port.get("port") == port and isinstance(svc_port.get("targetPort"), int):
                target = svc_port["targetPort"]
        wanted = selectors.selector_from_match({"matchLabels": service.get("spec", {}).get("selector") or {}})
        for pod in storage.items("/pods", namespace):
            if wanted and selectors.labels_match(wanted, pod) and pod.get("status", {}).get("podIP"):
                return pod["status"]["podIP"], target
        return None

    async def _call(
        self,
        hook: dict[str, Any],
        rtype: ResourceType,
        operation: str,
        obj: Obj,
        old: Obj | None,
        *,
        sub: str,
        dry_run: bool,
    ) -> dict[str, Any] | None:
        version = rtype.preferred_version
        review = {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": str(uuid.uuid4()),
                "kind": {"group": rtype.group, "version": version, "kind": rtype.kind},
                "resource": {"group": rtype.group, "version": version, "resource": rtype.plural},
                "requestKind": {"group": rtype.group, "version": version, "kind": rtype.kind},
                "requestResource": {"group": rtype.group, "version": version, "resource": rtype.plural},
                "name": obj["metadata"].get("name", ""),
                "namespace": obj["metadata"].get("namespace", ""),
                "operation": operation,
                "userInfo": USER,
                "object": obj if operation != "DELETE" else None,
                "oldObject": old if operation != "CREATE" else None,
                "dryRun": dry_run,
                "options": None,
            },
        }
        if sub:
            review["request"]["subResource"] = sub  # type: ignore[index]
        try:
            url, server_name = self._endpoint(hook)
            ca = (hook.get("clientConfig") or {}).get("caBundle")
            context: ssl.SSLContext | bool = True
            if url.startswith("https://"):
                context = ssl.create_default_context(cadata=base64.b64decode(ca).decode() if ca else None)
            if self._session is None:
                self._session = aiohttp.ClientSession()
            timeout = aiohttp.ClientTimeout(total=float(hook.get("timeoutSeconds") or 10))
            async with self._session.post(
                url, json=review, ssl=context, server_hostname=server_name, timeout=timeout
            ) as response:
                if response.status != 200:
                    raise errors.internal(f"webhook answered HTTP {response.status}")
                body = await response.json(content_type=None)
            return dict(body.get("response") or {})
        except (aiohttp.ClientError, TimeoutError, ssl.SSLError, ValueError, errors.ApiError) as exc:
            if hook.get("failurePolicy", "Fail") == "Ignore":
                return None
            raise errors.internal(f'failed calling webhook "{hook.get("name")}": {exc}') from exc
