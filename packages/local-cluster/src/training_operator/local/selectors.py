"""Label and field selectors, parsed once and matched many times.

Pure functions: list and watch filter server-side with these, so a watch with a selector sees an object
leave (DELETED) exactly when `matches` turns false.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from training_operator.local import errors


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term: `key op values` with op in =, !=, in, notin, exists, !exists."""

    key: str
    op: str
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        """Kubernetes' `labels.Requirement.Matches`."""
        has = self.key in labels
        if self.op in ("=", "in"):
            return has and labels[self.key] in self.values
        if self.op in ("!=", "notin"):
            return not has or labels[self.key] not in self.values
        if self.op == "exists":
            return has
        return not has


_SET_TERM = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _split_terms(text: str) -> list[str]:
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [t for t in (t.strip() for t in terms) if t]


def parse_labels(text: str) -> tuple[Requirement, ...]:
    """Parse a `labelSelector` query value; 400 on syntax errors as the real parser gives."""
    reqs = []
    for term in _split_terms(text):
        set_match = _SET_TERM.match(term)
        if set_match:
            values = frozenset(v.strip() for v in set_match.group(3).split(",") if v.strip())
            reqs.append(Requirement(set_match.group(1), set_match.group(2), values))
            continue
        for op in ("!=", "==", "="):
            if op in term:
                key, _, value = term.partition(op)
                key, value = key.strip(), value.strip()
                if not key or not _LABEL_VALUE.match(value):
                    raise errors.bad_request(f"unable to parse requirement: invalid label value: {value!r}")
                reqs.append(Requirement(key, "!=" if op == "!=" else "=", frozenset({value})))
                break
        else:
            if term.startswith("!"):
                reqs.append(Requirement(term[1:].strip(), "!exists"))
            elif re.match(r"^[A-Za-z0-9][-A-Za-z0-9_./]*$", term):
                reqs.append(Requirement(term, "exists"))
            else:
                raise errors.bad_request(f"unable to parse requirement: {term!r}")
    return tuple(reqs)


def selector_from_match(selector: dict[str, Any] | None) -> tuple[Requirement, ...]:
    """A `metav1.LabelSelector` (matchLabels + matchExpressions) as requirements."""
    if not selector:
        return ()
    reqs = [Requirement(k, "=", frozenset({str(v)})) for k, v in (selector.get("matchLabels") or {}).items()]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!exists"}
    reqs.extend(
        Requirement(expr["key"], ops[expr["operator"]], frozenset(expr.get("values") or ()))
        for expr in selector.get("matchExpressions") or ()
    )
    return tuple(reqs)


def labels_match(reqs: tuple[Requirement, ...], obj: dict[str, Any]) -> bool:
    """True when every requirement holds for the object's labels (an empty selector matches all)."""
    labels = obj.get("metadata", {}).get("labels") or {}
    return all(r.matches(labels) for r in reqs)


# Field selectors each resource supports, as upstream registers them; anything else is a 400.
_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_RESOURCE_FIELDS: dict[str, tuple[str, ...]] = {
    "/pods": (
        "status.phase",
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.podIP",
        "status.nominatedNodeName",
        "spec.hostNetwork",
    ),
    "/events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "events.k8s.io/events": (
        "regarding.kind",
        "regarding.namespace",
        "regarding.name",
        "regarding.uid",
        "reason",
        "type",
    ),
    "/secrets": ("type",),
    "/namespaces": ("status.phase",),
    "/nodes": ("spec.unschedulable",),
    "batch/jobs": ("status.successful",),
}


@dataclass(frozen=True, slots=True)
class FieldTerm:
    """One `path=value` or `path!=value` field selector term."""

    path: str
    value: str
    negate: bool


def parse_fields(text: str, resource: str) -> tuple[FieldTerm, ...]:
    """Parse a `fieldSelector`, rejecting fields the resource does not index."""
    allowed = _COMMON_FIELDS + _RESOURCE_FIELDS.get(resource, ())
    terms = []
    for term in _split_terms(text):
        for op in ("!=", "==", "="):
            if op in term:
                path, _, value = term.partition(op)
                path = path.strip()
                if path not in allowed:
                    raise errors.bad_request(
                        f"field label not supported: {path}" if "=" in term else f"invalid selector: {term}"
                    )
                terms.append(FieldTerm(path, value.strip(), op == "!="))
                break
        else:
            raise errors.bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
    return tuple(terms)


def field_value(obj: dict[str, Any], path: str) -> str:
    """The string form of a dotted path, as upstream's field sets render it ("" when absent)."""
    if path == "source":
        return str((obj.get("source") or {}).get("component", ""))
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def fields_match(terms: tuple[FieldTerm, ...], obj: dict[str, Any]) -> bool:
    """True when every term holds."""
    return all((field_value(obj, t.path) == t.value) != t.negate for t in terms)


def object_filter(label_text: str, field_text: str, resource: str) -> Callable[[dict[str, Any]], bool]:
    """One predicate for both selectors of a list or watch request."""
    labels = parse_labels(label_text) if label_text else ()
    fields = parse_fields(field_text, resource) if field_text else ()
    if not labels and not fields:
        return lambda _obj: True
    return lambda obj: labels_match(labels, obj) and fields_match(fields, obj)
