"""Server-side apply and field ownership (`metadata.managedFields`) for custom resources.

What `kubectl apply --server-side` and client SDKs rely on, as the API server's structured-merge-diff does it
for a CRD's schema: maps merge key by key, lists and scalars are atomic (a CRD list without
`x-kubernetes-list-type: map` is replaced whole). Every write records who set which fields:

* an apply (`application/apply-patch+yaml`, `?fieldManager=` required) owns exactly the fields it sends. A
  field it sent last time and leaves out now is removed, unless another manager also owns it. Setting a
  field another manager owns to a different value is a 409 Conflict naming the fields and their owners,
  unless `?force=true` takes them over;
* any other write (create, update, patch) owns the fields it changed, as an `Update` by its `?fieldManager=`
  or, by default, the User-Agent's product name; those fields leave their previous owners.

Status is written through its subresource and never applied here. Pure functions of the objects.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.local import errors

Obj = dict[str, Any]
Path = tuple[str, ...]
#: ObjectMeta fields the server owns, never a manager
_SERVER_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)


@dataclass(frozen=True, slots=True)
class Writer:
    """Who writes, as the request says: `?fieldManager=` (else the User-Agent's name), `?force=true`."""

    manager: str
    force: bool = False
    #: named with `?fieldManager=`, which an apply requires (the User-Agent is only an update's default)
    explicit: bool = True

    @classmethod
    def of_request(cls, query: Mapping[str, str], user_agent: str | None) -> "Writer":
        """The writer of one HTTP request."""
        named = query.get("fieldManager") or ""
        default = (user_agent or "").split("/", 1)[0].strip() or "unknown"
        return cls(named or default, query.get("force") == "true", explicit=bool(named))


def leaves(obj: Any, *, has_status: bool, prefix: Path = ()) -> dict[Path, Any]:
    """Every owned field of an object and its value: map keys are walked, lists and scalars are leaves."""
    if not isinstance(obj, dict) or (prefix and not obj):
        return {prefix: obj} if prefix else {}
    found: dict[Path, Any] = {}
    for key, value in obj.items():
        if not prefix and (key in ("apiVersion", "kind") or (key == "status" and has_status)):
            continue
        if prefix == ("metadata",) and key in _SERVER_META:
            continue
        found.update(leaves(value, has_status=has_status, prefix=(*prefix, key)))
    return found


def owners(obj: Mapping[str, Any]) -> list[Obj]:
    """The object's managedFields entries."""
    return [dict(entry) for entry in (obj.get("metadata") or {}).get("managedFields") or []]


def apply(
    current: Obj | None, applied: Obj, writer: Writer, *, has_status: bool, api_version: str, now: str
) -> Obj:
    """The object after an apply by `writer`, with its managedFields; 409 on a conflict not forced."""
    check_applied(applied, writer)
    sent = leaves(applied, has_status=has_status)
    if current is None:
        result = {k: v for k, v in applied.items() if not (k == "status" and has_status)}
        return _owned(result, [], writer.manager, "Apply", set(sent), api_version, now)
    entries = owners(current)
    held = leaves(current, has_status=has_status)
    clashes = {
        path: entry["manager"]
        for entry in entries
        if not _is(entry, writer.manager, "Apply")
        for path in _paths(entry) & set(sent)
        if path in held and held[path] != sent[path]
    }
    if clashes and not writer.force:
        raise _conflict(current, clashes)
    mine = next((e for e in entries if _is(e, writer.manager, "Apply")), None)
    others = [_without(e, set(clashes)) for e in entries if e is not mine]
    kept = set().union(*(_paths(e) for e in others))
    result = _merged(current, applied)
    for path in (_paths(mine) if mine else set()) - set(sent) - kept:
        _remove(result, path, kept | set(sent))
    return _owned(result, others, writer.manager, "Apply", set(sent), api_version, now)


def record_update(
    old: Obj | None, new: Obj, writer: Writer, *, has_status: bool, api_version: str, now: str
) -> Obj:
    """A non-apply write: `writer` owns what it changed; removed fields leave every owner."""
    before = leaves(old or {}, has_status=has_status)
    after = leaves(new, has_status=has_status)
    changed = {path for path, value in after.items() if before.get(path, _MISSING) != value}
    gone = set(before) - set(after)
    entries = [_without(e, changed | gone) for e in owners(old or new)]
    if not changed:
        return _with_entries(new, [e for e in entries if _paths(e)])
    mine = next((e for e in entries if _is(e, writer.manager, "Update")), None)
    others = [e for e in entries if e is not mine]
    owned = changed | (_paths(mine) if mine else set())
    return _owned(new, others, writer.manager, "Update", owned, api_version, now)


def check_applied(applied: Any, writer: Writer) -> None:
    """What the API server refuses before applying: no manager, no apiVersion/kind (400)."""
    if not (writer.manager and writer.explicit):
        raise errors.bad_request(
            'PatchOptions.meta.k8s.io "" is invalid: '
            "fieldManager: Required value: is required for apply patch"
        )
    if not isinstance(applied, dict) or not applied.get("apiVersion") or not applied.get("kind"):
        raise errors.bad_request(
            "invalid object: apiVersion and kind are required in an applied configuration"
        )


def ownership_changed(old: Obj, new: Obj) -> bool:
    """Whether a write changed who owns what (a timestamp alone is no change, as upstream ignores it)."""

    def timeless(obj: Obj) -> list[Obj]:
        return [{k: v for k, v in entry.items() if k != "time"} for entry in owners(obj)]

    return timeless(old) != timeless(new)


# --- fieldsV1 encoding ----------------------------------------------------------------------------------

_MISSING = object()


def fields_v1(paths: Iterable[Path]) -> Obj:
    """The wire form: nested `f:<key>` maps, `{}` at a leaf, `.` where a node is also owned itself."""
    root: Obj = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(f"f:{key}", {})
        if node:
            node["."] = {}
    for path in paths:  # a leaf that later became a parent keeps its own mark
        node = root
        for key in path:
            node = node[f"f:{key}"]
        if any(k.startswith("f:") for k in node):
            node.setdefault(".", {})
    return root


def _decode(node: Mapping[str, Any], prefix: Path = ()) -> set[Path]:
    children = {k: v for k, v in node.items() if k.startswith("f:")}
    found = (
        {prefix}
        if prefix and (not children or "." in node or any(k[:2] in ("k:", "v:", "i:") for k in node))
        else set()
    )
    for key, child in children.items():
        found |= _decode(child if isinstance(child, Mapping) else {}, (*prefix, key[2:]))
    return found


def _paths(entry: Mapping[str, Any] | None) -> set[Path]:
    return _decode(entry.get("fieldsV1") or {}) if entry else set()


def _is(entry: Mapping[str, Any], manager: str, operation: str) -> bool:
    return (
        entry.get("manager") == manager
        and entry.get("operation") == operation
        and not entry.get("subresource")
    )


def _without(entry: Obj, paths: set[Path]) -> Obj:
    if entry.get("subresource") or not paths:
        return entry
    return {**entry, "fieldsV1": fields_v1(_paths(entry) - paths)}


def _owned(
    obj: Obj, others: list[Obj], manager: str, operation: str, paths: set[Path], api_version: str, now: str
) -> Obj:
    entry = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(paths),
    }
    return _with_entries(obj, [e for e in others if _paths(e) or e.get("subresource")] + [entry])


def _with_entries(obj: Obj, entries: list[Obj]) -> Obj:
    meta = dict(obj.get("metadata") or {})
    if entries:
        meta["managedFields"] = entries
    else:
        meta.pop("managedFields", None)
    return {**obj, "metadata": meta}


def _merged(current: Any, applied: Any) -> Any:
    """Maps merge key by key; anything else in the applied configuration replaces what was there."""
    if not (isinstance(current, dict) and isinstance(applied, dict)):
        return applied
    result = dict(current)
    for key, value in applied.items():
        result[key] = _merged(current.get(key), value) if key in current else value
    return result


def _remove(obj: Obj, path: Path, kept: set[Path]) -> None:
    """Drop one field, then the maps it leaves empty that nobody owns as such (as a label map whose last
    label went)."""
    trail: list[Obj] = [obj]
    for key in path[:-1]:
        node = trail[-1].get(key)
        if not isinstance(node, dict):
            return
        trail.append(node)
    trail[-1].pop(path[-1], None)
    for depth in range(len(path) - 1, 0, -1):
        if trail[depth] or path[:depth] in kept:
            return
        trail[depth - 1].pop(path[depth - 1], None)


def _conflict(current: Obj, clashes: Mapping[Path, str]) -> errors.ApiError:
    """409 as the API server words it: `Apply failed with N conflicts: conflict with "m": .spec.x`."""
    api_version = current.get("apiVersion", "")
    lines = [
        f'conflict with "{manager}" using {api_version}: .{".".join(path)}'
        for path, manager in sorted(clashes.items())
    ]
    word = "conflict" if len(lines) == 1 else "conflicts"
    message = f"Apply failed with {len(lines)} {word}: " + "\n".join(lines)
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f'conflict with "{manager}" using {api_version}',
            "field": "." + ".".join(path),
        }
        for path, manager in sorted(clashes.items())
    ]
    return errors.ApiError(409, "Conflict", message, details={"causes": causes})
