"""Field problems: the one way every rule reports bad input, rendered the way Kubernetes renders field errors.

A webhook rejection, a `Failed` condition and a CLI message all come from the same `FieldProblem`, so a user
sees the same path (`spec.tfReplicaSpecs[Worker].template.spec.containers[0].image`) wherever a rule fires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic costs a CLI that only prints help a tenth of a second
    from pydantic import ValidationError


class ProblemKind(StrEnum):
    """The Kubernetes field-error types we emit (apimachinery `field.ErrorType`)."""

    INVALID = "Invalid value"
    REQUIRED = "Required value"
    FORBIDDEN = "Forbidden"
    UNSUPPORTED = "Unsupported value"
    DUPLICATE = "Duplicate value"
    TYPE = "Invalid value"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule: where (wire path), what was found, and what is allowed instead."""

    path: str
    kind: ProblemKind
    detail: str = ""
    value: Any = None
    allowed: tuple[str, ...] = ()

    def render(self) -> str:
        """`<path>: <type>: ...` exactly as Kubernetes prints a field error."""
        if self.kind is ProblemKind.UNSUPPORTED:
            supported = ", ".join(json.dumps(a) for a in self.allowed)
            return f"{self.path}: {self.kind.value}: {_quote(self.value)}: supported values: {supported}"
        if self.kind in (ProblemKind.INVALID, ProblemKind.DUPLICATE):
            return f"{self.path}: {self.kind.value}: {_quote(self.value)}: {self.detail}"
        return f"{self.path}: {self.kind.value}: {self.detail}"


def _quote(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value) if isinstance(value, bool | int | float) else json.dumps(str(value))


def aggregate(problems: Sequence[FieldProblem]) -> str:
    """One message for many problems, deduplicated, as apimachinery's aggregate prints them."""
    texts = list(dict.fromkeys(p.render() for p in problems))
    if len(texts) == 1:
        return texts[0]
    return "[" + ", ".join(texts) + "]"


_MAP_FIELDS = ("ReplicaSpecs", "minResources", "labels", "annotations", "replicaStatuses")


def wire_path(location: Iterable[str | int]) -> str:
    """Turn a pydantic error location into a Kubernetes field path (map keys in brackets)."""
    path = ""
    previous = ""
    for part in location:
        if isinstance(part, int) or previous.endswith(_MAP_FIELDS):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
        previous = str(part)
    return path


_PYDANTIC_KIND = {"missing": ProblemKind.REQUIRED, "extra_forbidden": ProblemKind.FORBIDDEN}


def from_validation_error(error: ValidationError, *, prefix: str = "") -> list[FieldProblem]:
    """Field problems for a pydantic error, each naming the wire path and what is allowed."""
    problems = []
    for item in error.errors():
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged")))]
        path = wire_path([*([prefix] if prefix else []), *loc])
        kind = _PYDANTIC_KIND.get(item["type"], ProblemKind.INVALID)
        if kind is ProblemKind.REQUIRED:
            problems.append(FieldProblem(path, kind, "must be required"))
            continue
        detail = item["msg"]
        allowed: tuple[str, ...] = ()
        expected = (item.get("ctx") or {}).get("expected")
        if item["type"] == "enum" and expected:
            allowed = tuple(re.findall(r"'([^']*)'", str(expected)))
            unsupported = FieldProblem(
                path, ProblemKind.UNSUPPORTED, value=item.get("input"), allowed=allowed
            )
            problems.append(unsupported)
            continue
        detail = _BOUND_DETAIL.get(item["type"], "{msg}").format(msg=detail, **(item.get("ctx") or {}))
        problems.append(FieldProblem(path, kind, detail, value=_plain(item.get("input"))))
    return problems


#: pydantic's bound errors in Kubernetes' words (apimachinery `validation.ValidateNonnegativeField` & co.)
_BOUND_DETAIL = {
    "less_than_equal": "must be less than or equal to {le}",
    "greater_than_equal": "must be greater than or equal to {ge}",
}


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


DNS1035_LABEL_MAX = 63
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_MESSAGE = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def dns1035_label_problems(value: str) -> list[str]:
    """Kubernetes' own messages for a DNS-1035 label, length first (common.md §3.2 V1)."""
    messages = []
    if len(value) > DNS1035_LABEL_MAX:
        messages.append(f"must be no more than {DNS1035_LABEL_MAX} characters")
    if not _DNS1035.match(value):
        messages.append(_DNS1035_MESSAGE)
    return messages


def job_name_problems(name: str) -> list[FieldProblem]:
    """V1: a job name must be a DNS-1035 label, because derived pod and service names start with it."""
    messages = dns1035_label_problems(name)
    if not messages:
        return []
    return [FieldProblem("metadata.name", ProblemKind.INVALID, "should match: " + ",".join(messages), name)]
