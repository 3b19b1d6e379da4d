"""Validating admission for every kind, through kopf's webhook server (sdk-and-ops.md C.6).

Each handler's id is upstream's path segment (`validate-kubeflow-org-v1-pytorchjob`), so our
ValidatingWebhookConfiguration points at the same paths as Kubeflow's; kopf's managed configuration stays off
because we ship that object. A rejection is `allowed: false`, code 403, reason `Forbidden`, with the
aggregated field errors as message, exactly what controller-runtime answers for a webhook that returns an
error. A plug-in's `admission_warnings` (PyTorch's deprecated `elasticPolicy.nProcPerNode`) become the
AdmissionReview's `warnings`, on admission and on rejection alike as upstream; the API server hands them to
the client as `Warning` headers, which kubectl and our CLI print. There is no mutating webhook: defaulting
happens in memory (common.md §2.1).
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import kopf

from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import aggregate
from training_operator.core.errors import InvalidJob
from training_operator.core.framework import Framework, KindInfo

FORBIDDEN = 403


def handler_id(kind: KindInfo) -> str:
    """Upstream's webhook path segment for a kind."""
    return f"validate-{kind.group.replace('.', '-')}-{kind.version}-{kind.scheme}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the webhook answers: why the API server must refuse the write (None: admit it), and the
    warnings the client sees either way."""

    rejection: str | None
    warnings: tuple[str, ...] = ()


def review(framework: Framework, body: Mapping[str, Any], old: Mapping[str, Any] | None = None) -> Verdict:
    """The verdict on this create (or update from `old`)."""
    try:
        job = framework.parse(body)
    except InvalidJob as error:
        return Verdict(str(error))
    warnings = admission_warnings(framework, job)
    previous = None
    if old:
        try:
            previous = framework.parse(old)
        except InvalidJob:
            previous = None  # an old object that no longer parses must not block fixing it
    problems = framework.problems(job, old=previous)
    return Verdict(aggregate(problems) if problems else None, warnings)


def rejection(
    framework: Framework, body: Mapping[str, Any], old: Mapping[str, Any] | None = None
) -> str | None:
    """Why the API server must refuse this create (or update from `old`), or None to admit it."""
    return review(framework, body, old).rejection


def admission_warnings(framework: Framework, job: JobModel) -> tuple[str, ...]:
    """The plug-in's warnings for a parsed job; a plug-in without the optional hook has none."""
    hook = getattr(framework, "admission_warnings", None)
    return tuple(str(warning) for warning in hook(job)) if hook is not None else ()


def register(registry: kopf.OperatorRegistry, framework: Framework) -> None:
    """The validating handler of one kind (CREATE and UPDATE)."""
    kind = framework.kind

    @kopf.on.validate(
        kind.group,
        kind.version,
        kind.plural,
        id=handler_id(kind),
        operations=["CREATE", "UPDATE"],
        registry=registry,
    )
    def validate(warnings: list[str], **kwargs: Any) -> None:
        verdict = review(framework, kwargs["body"], kwargs.get("old"))
        warnings.extend(verdict.warnings)  # kopf returns them with a rejection too
        if verdict.rejection is not None:
            raise kopf.AdmissionError(verdict.rejection, code=FORBIDDEN)


class ForbiddingWebhookServer(kopf.WebhookServer):
    """kopf's server, adding `reason: Forbidden` to 403 answers as controller-runtime does."""

    async def __call__(self, fn: Any) -> AsyncIterator[Any]:
        async def with_reason(data: Any, **kwargs: Any) -> Any:
            response = await fn(data, **kwargs)
            status = (response.get("response") or {}).get("status")
            if status and status.get("code") == FORBIDDEN:
                status["reason"] = "Forbidden"
            return response

        async for client_config in super().__call__(with_reason):  # type: ignore[arg-type]
            yield client_config


def server(*, port: int, cert_dir: str, host: str = "0.0.0.0") -> ForbiddingWebhookServer:
    """The HTTPS server with the mounted certificate (reloaded when the files change); on every interface by
    default, since the API server reaches us through the Service."""
    return ForbiddingWebhookServer(
        addr=host,
        port=port,
        certfile=os.path.join(cert_dir, "tls.crt"),
        pkeyfile=os.path.join(cert_dir, "tls.key"),
        file_check_interval=30.0,
    )


def configuration(
    name: str, kinds: Iterable[KindInfo], client_config: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """Our ValidatingWebhookConfiguration (manifests/base/webhook): one entry per v1 kind at upstream's path,
    failurePolicy Fail; `client_config(path)` says where the API server finds the handler."""
    hooks = [
        {
            "name": f"validator.{kind.scheme}.training-operator.kubeflow.org",
            "admissionReviewVersions": ["v1"],
            "sideEffects": "None",
            "failurePolicy": "Fail",
            "clientConfig": client_config(f"/{handler_id(kind)}"),
            "rules": [
                {
                    "apiGroups": [kind.group],
                    "apiVersions": [kind.version],
                    "operations": ["CREATE", "UPDATE"],
                    "resources": [kind.plural],
                }
            ],
        }
        for kind in kinds
        if kind.version == "v1"  # v2beta1 MPIJob validates in the controller, as upstream (C.6)
    ]
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": hooks,
    }


def listening(port: int) -> bool:
    """The webhook server accepts connections (readiness, common.md §18.1: certs exist *and* it serves)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def certificates_present(cert_dir: str) -> bool:
    """The serving certificate exists (readiness depends on it, common.md §18.1)."""
    return all(os.path.exists(os.path.join(cert_dir, name)) for name in ("tls.crt", "tls.key"))
