"""URL → (resource type, version, namespace, name, subresource, verb).

Pure: one function turns the request line into a `Target` and the verb Kubernetes' authorizer would see,
so request counting, fault rules and the handlers agree on what a request is.
"""

from dataclasses import dataclass

from training_operator.local import errors
from training_operator.local.catalog import Catalog
from training_operator.local.resources import ResourceType


@dataclass(frozen=True, slots=True)
class Target:
    """What a resource request addresses."""

    rtype: ResourceType
    version: str
    namespace: str | None  # None: all namespaces (or a cluster-scoped type)
    name: str | None
    sub: str
    legacy_watch: bool = False

    @property
    def resource_label(self) -> str:
        """`plural` or `plural/sub`, the name request counters and fault rules use."""
        return f"{self.rtype.plural}/{self.sub}" if self.sub else self.rtype.plural


def parse(path: str, catalog: Catalog) -> Target:
    """Resolve an /api or /apis path; 404 for anything the catalog does not serve."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise errors.not_found_path(path)
    legacy_watch = rest[0] == "watch"
    if legacy_watch:
        rest = rest[1:]
    namespace: str | None = None
    if (
        len(rest) >= 3
        and rest[0] == "namespaces"
        and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
    ):
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise errors.not_found_path(path)
    rtype = catalog.lookup(group, version, rest[0])
    if rtype is None or (namespace is not None and not rtype.namespaced):
        raise errors.not_found_path(path)
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else ""
    allowed = rtype.subresources | ({"finalize"} if rtype.key == "/namespaces" else set())
    if sub and sub not in allowed:
        raise errors.not_found_path(path)
    return Target(rtype, version, namespace, name, sub, legacy_watch)


def verb_of(method: str, target: Target, *, watch: bool) -> str:
    """The Kubernetes verb for an HTTP method on a target."""
    if method == "GET":
        if watch or target.legacy_watch:
            return "watch"
        return "get" if target.name else "list"
    if method == "POST":
        return "create"
    if method == "PUT":
        return "update"
    if method == "PATCH":
        return "patch"
    if method == "DELETE":
        return "delete" if target.name else "deletecollection"
    raise errors.method_not_allowed()


def flag(value: str | None) -> bool:
    """A boolean query parameter as the real API server reads it: absent, `0` or `false` (any case) is false,
    anything else true (clients write `true`, `True` or `1`)."""
    return value is not None and value.lower() not in ("0", "false")
