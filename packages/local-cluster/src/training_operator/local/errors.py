"""Kubernetes `Status` errors.

Every failure the API server reports is a `metav1.Status` with `reason` and `code`, because kubectl and the
client libraries branch on those two fields (for example kopf retries on 409 and gives up on 422).
Kept apart so the registry, the schema checks and the HTTP layer raise the same errors.
"""

from typing import Any


class ApiError(Exception):
    """A failure that the HTTP layer turns into a `Status` body with the same code."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        """The wire form, as `k8s.io/apimachinery/pkg/api/errors` builds it."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _qualified(group: str, plural: str) -> str:
    return f"{plural}.{group}" if group else plural


def not_found(group: str, plural: str, name: str) -> ApiError:
    """404 for a named object that does not exist."""
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(group, plural)} "{name}" not found',
        details={"name": name, "group": group, "kind": plural},
    )


def not_found_path(path: str) -> ApiError:
    """404 for a URL the server does not serve (unknown group, version or resource)."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", details={})


def already_exists(group: str, plural: str, name: str) -> ApiError:
    """409 for a create whose name is taken."""
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(group, plural)} "{name}" already exists',
        details={"name": name, "group": group, "kind": plural},
    )


def conflict(group: str, plural: str, name: str, why: str) -> ApiError:
    """409 for an optimistic-concurrency failure."""
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {_qualified(group, plural)} "{name}": {why}',
        details={"name": name, "group": group, "kind": plural},
    )


def invalid(group: str, kind: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 with the causes listed, as upstream's `NewInvalid`."""
    summary = ", ".join(f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes)
    qualified = f"{kind}.{group}" if group else kind
    return ApiError(
        422,
        "Invalid",
        f'{qualified} "{name}" is invalid: [{summary}]'
        if len(causes) > 1
        else f'{qualified} "{name}" is invalid: {summary}',
        details={"name": name, "group": group, "kind": kind, "causes": causes},
    )


def cause(field: str, reason: str, message: str) -> dict[str, str]:
    """One `StatusCause`; `reason` is a `CauseType` such as FieldValueRequired."""
    return {"reason": reason, "message": message, "field": field}


def bad_request(message: str) -> ApiError:
    """400 for a request the server cannot parse."""
    return ApiError(400, "BadRequest", message)


def unauthorized() -> ApiError:
    """401 for a missing or wrong bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(message: str, *, group: str = "", plural: str = "", name: str = "") -> ApiError:
    """403, used for writes into a terminating namespace."""
    return ApiError(403, "Forbidden", message, details={"name": name, "group": group, "kind": plural})


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> ApiError:
    """405 for a verb the resource does not support."""
    return ApiError(405, "MethodNotAllowed", message, details={})


def expired(message: str) -> ApiError:
    """410 for a resourceVersion older than the retained history."""
    return ApiError(410, "Expired", message)


def unsupported_media_type(content_type: str) -> ApiError:
    """415 for a patch type the resource does not accept (strategic merge on custom resources)."""
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f"application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; "
        f"got {content_type}",
    )


def too_many_requests() -> ApiError:
    """429, only ever raised by fault injection."""
    return ApiError(
        429,
        "TooManyRequests",
        "the server has received too many requests and has asked us to try again later",
        details={"retryAfterSeconds": 1},
        headers={"Retry-After": "1"},
    )


def internal(message: str) -> ApiError:
    """500 for a failure of the server itself (or an injected one)."""
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")
