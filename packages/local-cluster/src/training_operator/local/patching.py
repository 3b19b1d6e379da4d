"""The three patch formats Kubernetes accepts, as pure functions over JSON values.

JSON merge patch (RFC 7386) and JSON patch (RFC 6902) are generic; strategic merge patch is Kubernetes' own:
lists of objects with a merge key (containers by name, volumeMounts by mountPath, …) are merged element by
element instead of replaced, which is what `kubectl apply` and many controllers depend on.
"""

import copy
from typing import Any

from training_operator.local import errors

JSON = Any


def merge_patch(target: JSON, patch: JSON) -> JSON:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise errors.bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _resolve(doc: JSON, parts: list[str]) -> JSON:
    for part in parts:
        if isinstance(doc, list):
            try:
                doc = doc[int(part)]
            except (ValueError, IndexError) as exc:
                raise errors.ApiError(422, "Invalid", f"index {part} out of range") from exc
        elif isinstance(doc, dict) and part in doc:
            doc = doc[part]
        else:
            raise errors.ApiError(422, "Invalid", f"path /{'/'.join(parts)} does not exist")
    return doc


def _add(doc: JSON, parts: list[str], value: JSON, *, replace: bool) -> JSON:
    if not parts:
        return value
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if not 0 <= index <= len(parent) - (1 if replace else 0):
            raise errors.ApiError(422, "Invalid", f"index {last} out of range")
        if replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    elif isinstance(parent, dict):
        if replace and last not in parent:
            raise errors.ApiError(
                422, "Invalid", f"replace operation does not apply: doc is missing key: /{'/'.join(parts)}"
            )
        parent[last] = value
    else:
        raise errors.ApiError(422, "Invalid", f"path /{'/'.join(parts)} does not exist")
    return doc


def _remove(doc: JSON, parts: list[str]) -> JSON:
    parent = _resolve(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, list):
        _resolve(parent, [last])
        return parent.pop(int(last))
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    raise errors.ApiError(
        422, "Invalid", f"remove operation does not apply: doc is missing path: /{'/'.join(parts)}"
    )


def json_patch(target: JSON, operations: JSON) -> JSON:
    """RFC 6902 with add, remove, replace, move, copy and test."""
    if not isinstance(operations, list):
        raise errors.bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in operations:
        kind, parts = op.get("op"), _pointer(op.get("path", ""))
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), replace=False)
        elif kind == "replace":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "remove":
            _remove(doc, parts)
        elif kind in ("move", "copy"):
            source = _pointer(op.get("from", ""))
            value = _remove(doc, source) if kind == "move" else copy.deepcopy(_resolve(doc, source))
            doc = _add(doc, parts, value, replace=False)
        elif kind == "test":
            if _resolve(doc, parts) != op.get("value"):
                raise errors.ApiError(422, "Invalid", f"test operation failed at {op.get('path')}")
        else:
            raise errors.bad_request(f"unknown json patch operation {kind!r}")
    return doc


# patchMergeKey of the list fields that carry one in the built-in types (k8s.io/api struct tags).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
}
# Primitive lists with patchStrategy=merge: treated as sets.
MERGED_PRIMITIVE_LISTS = frozenset({"finalizers"})


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        # Container ports merge on containerPort, service ports on port.
        return "containerPort" if any(isinstance(i, dict) and "containerPort" in i for i in items) else "port"
    return MERGE_KEYS.get(field)


def _merge_list(field: str, original: list[Any], patch: list[Any], directives: dict[str, Any]) -> list[Any]:
    if field in MERGED_PRIMITIVE_LISTS:
        result = [v for v in original if v not in directives.get(f"$deleteFromPrimitiveList/{field}", [])]
        return result + [v for v in patch if v not in result]
    key = _merge_key(field, original + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return copy.deepcopy(patch)
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if i.get("$patch") != "replace"]
    result = [copy.deepcopy(i) for i in original]
    for item in patch:
        match = next(
            (i for i, o in enumerate(result) if isinstance(o, dict) and o.get(key) == item.get(key)), None
        )
        if item.get("$patch") == "delete":
            if match is not None:
                result.pop(match)
        elif match is None:
            result.append(strategic_merge_patch({}, item))
        else:
            result[match] = strategic_merge_patch(result[match], item)
    return result


def _set_or_drop(result: dict[str, Any], key: str, value: JSON) -> None:
    if value is None:  # `$patch: delete` on a nested map
        result.pop(key, None)
    else:
        result[key] = value


def strategic_merge_patch(target: JSON, patch: JSON) -> JSON:
    """Kubernetes' strategic merge patch for built-in types, with the `$patch` and list directives."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    result = dict(target) if isinstance(target, dict) else {}
    retain = patch.get("$retainKeys")
    directives = {k: v for k, v in patch.items() if k.startswith("$")}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list):
            current = result.get(key)
            result[key] = _merge_list(key, current if isinstance(current, list) else [], value, directives)
        elif isinstance(value, dict):
            _set_or_drop(result, key, strategic_merge_patch(result.get(key), value))
        else:
            result[key] = value
    for key in directives:
        field = key.partition("/")[2]
        if (
            key.startswith("$deleteFromPrimitiveList/")
            and field not in patch
            and isinstance(result.get(field), list)
        ):
            result[field] = [v for v in result[field] if v not in directives[key]]
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    return result
