"""What the SDK raises, as one tree so callers catch at the level they need.

TrainingError (a RuntimeError: Kubeflow's SDK raises RuntimeError for API failures; old `except`s work)
├── JobNotFound        the job (or its namespace) does not exist
├── KindNotInstalled   the cluster serves no such resource: its CRD is missing (404 on the collection)
├── Forbidden          RBAC denied the request (403), or the credentials were rejected (401)
├── AlreadyExists      a job of that name exists (409)
├── Conflict           a server-side apply met fields another manager owns, or a write lost a race (409)
├── InvalidSpec        the API server or a webhook rejected the body (422/400), with its field causes
├── JobFailed          a wait ended because the job Failed
└── Timeout            a wait ran out; also a TimeoutError; names the last conditions seen
UnknownKind (ValueError)   a kind name neither built in nor installed; lists the known kinds
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


class TrainingError(RuntimeError):
    """Base of every API-side failure the SDK reports; `status` is the HTTP code when there was one."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class JobNotFound(TrainingError):
    """The named job does not exist in that namespace."""


class KindNotInstalled(TrainingError):
    """The cluster has no CRD serving this kind at the version the SDK speaks."""


class Forbidden(TrainingError):
    """The credentials in use may not do this (RBAC), or the API server did not accept them at all."""


class AlreadyExists(TrainingError):
    """A job with this name already exists."""


class Conflict(TrainingError):
    """409 Conflict: fields another manager owns (`causes` name them), or the object changed meanwhile."""

    def __init__(self, message: str, *, status: int | None = None, causes: Sequence[tuple[str, str]] = ()):
        super().__init__(message, status=status)
        self.causes = tuple(causes)


class InvalidSpec(TrainingError):
    """The server refused the job; `causes` are `(field, message)` pairs as the server reported them."""

    def __init__(self, message: str, *, status: int | None = None, causes: Sequence[tuple[str, str]] = ()):
        super().__init__(message, status=status)
        self.causes = tuple(causes)


class JobFailed(TrainingError):
    """A wait stopped because the job's Failed condition became true."""

    def __init__(self, message: str, *, job: Any = None) -> None:
        super().__init__(message)
        self.job = job


class Timeout(TrainingError, TimeoutError):
    """A wait ran out before the job reached an expected condition."""

    def __init__(self, message: str, *, last_conditions: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.last_conditions = tuple(last_conditions)


class UnknownKind(ValueError):
    """A kind name nobody serves; the message lists the kinds the SDK knows."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown kind {name!r}: known kinds are {', '.join(known)}")
        self.name = name
        self.known = tuple(known)


def from_response(
    status: int, body: str | bytes | None, *, what: str, collection: bool = False
) -> TrainingError:
    """The typed error for an API answer; `what` names the object (`PyTorchJob default/x`) for the message.

    `collection` marks requests on a whole resource (create, list): a 404 there means the CRD is missing,
    while a 404 on a named object means the job is missing -- unless the server says the resource is unknown.
    """
    payload = _status_payload(body)
    message = str(payload.get("message") or (body.decode() if isinstance(body, bytes) else body) or "")
    text = f"{what}: {message}" if message else what
    if status == 404:
        details = payload.get("details") or {}
        if details.get("kind") == "namespaces":
            return JobNotFound(f"{what}: namespace {details.get('name')!r} not found", status=status)
        if details.get("name") or not (payload or collection):
            return JobNotFound(f"{what} not found", status=status)
        return KindNotInstalled(f"{what}: kind not installed in the cluster (404: {message})", status=status)
    if status == 403:
        return Forbidden(f"forbidden: {text}", status=status)
    if status == 401:  # expired token, wrong context: the user's fix is the same as for a 403
        return Forbidden(f"unauthorized (the API server rejected the credentials): {text}", status=status)
    if status == 409 and payload.get("reason") == "Conflict":
        causes = [(str(c.get("field", "")), str(c.get("message", ""))) for c in _causes(payload)]
        return Conflict(f"conflict: {text}", status=status, causes=causes)
    if status == 409:
        return AlreadyExists(f"already exists: {text}", status=status)
    if status in (400, 422):
        causes = [(str(c.get("field", "")), str(c.get("message", ""))) for c in _causes(payload)]
        return InvalidSpec(f"invalid: {text}", status=status, causes=causes)
    return TrainingError(f"{what}: API error {status}: {message}", status=status)


def _status_payload(body: str | bytes | None) -> dict[str, Any]:
    if not body:
        return {}
    try:
        payload = json.loads(body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _causes(payload: dict[str, Any]) -> list[dict[str, Any]]:
    causes = (payload.get("details") or {}).get("causes") or []
    return [c for c in causes if isinstance(c, dict)]
