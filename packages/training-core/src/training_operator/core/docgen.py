"""Reference pages of every installed job kind, generated from the same models the operator parses, so the
documented fields, defaults and allowed values can never disagree with the code (CI fails when the committed
pages drift).

Each page lists every `spec` field with its wire path, type, defaults and allowed values; the replica types;
the kind's default container, port and restart policy; its names and printer columns. Defaults and allowed
values are not copied from anywhere: the API-server defaults are read from the generated CRD, the operator's
in-memory defaults by defaulting a minimal job, and allowed values from the schema's enums and by asking the
kind's admission rules about a value that cannot be valid.

    python -m training_operator.core.docgen --out docs/kinds
    python -m training_operator.core.docgen --out docs/kinds --check
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core import crd, generated
from training_operator.core.api.problems import FieldProblem
from training_operator.core.errors import InvalidJob
from training_operator.core.framework import Framework, KindInfo

Schema = Mapping[str, Any]

#: a value no enum or admission rule admits, used to make the rules name what they do admit
_PROBE = "docgen-probe-not-a-value"
#: the placeholder for replica-type keys in wire paths
REPLICA_TYPE = "<replicaType>"
_API_SERVER = "API server"
_OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One documented `spec` field."""

    path: str
    type: str
    required: bool
    defaults: tuple[str, ...]
    allowed: tuple[str, ...]


def spec_schema(framework: Framework) -> dict[str, Any]:
    """The pydantic JSON schema of the kind's `spec`, with wire (camelCase) names."""
    spec_type = framework.model.model_fields["spec"].annotation
    schema: dict[str, Any] = spec_type.model_json_schema(by_alias=True, mode="validation")  # type: ignore[union-attr]
    return schema


def field_rows(framework: Framework) -> list[FieldRow]:
    """Every `spec` field of the kind, in model order, with its defaults and allowed values."""
    raw = spec_schema(framework)
    defs = raw.get("$defs", {})
    api_defaults = dict(_api_server_defaults(crd.crd_for(framework)))
    operator_defaults = _operator_defaults(framework)
    probed = _probed_allowed(framework, raw, defs)
    rows = []
    for path, node, required in _walk(raw, defs, "spec", framework.kind.replica_map_key):
        defaults = []
        if (value := node.get("default")) is not None:
            defaults.append(f"{_code(value)} (model)")
        if path in api_defaults:
            defaults.append(f"{_code(api_defaults[path])} ({_API_SERVER})")
        if path in operator_defaults:
            defaults.append(f"{operator_defaults[path]} ({_OPERATOR})")
        allowed = probed.get(path) or tuple(_code(v) for v in node.get("enum", ()))
        rows.append(
            FieldRow(path, _type_name(path, node), required, tuple(defaults), allowed + _bounds(node))
        )
    return rows


def _resolve(node: Schema, defs: Schema) -> Schema:
    """The schema behind `$ref`, a single `allOf` and `Optional` (anyOf with null); keeps the default."""
    default = node.get("default")
    while True:
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        elif "anyOf" in node and len(options := [o for o in node["anyOf"] if o.get("type") != "null"]) == 1:
            node = options[0]
        else:
            break
    return (
        {**node, "default": default}
        if default is not None
        else {k: v for k, v in node.items() if k != "default"}
    )


def _walk(node: Schema, defs: Schema, prefix: str, replica_key: str) -> Iterator[tuple[str, Schema, bool]]:
    """(wire path, resolved schema, required) of every field below an object schema, depth first."""
    required = set(node.get("required", ()))
    for name, sub in node.get("properties", {}).items():
        path = f"{prefix}.{name}"
        resolved = _resolve(sub, defs)
        yield path, resolved, name in required
        yield from _children(resolved, defs, path, replica_key, name == replica_key)


def _children(
    node: Schema, defs: Schema, path: str, replica_key: str, is_replica_map: bool
) -> Iterator[tuple[str, Schema, bool]]:
    if node.get("properties"):
        yield from _walk(node, defs, path, replica_key)
        return
    extra = node.get("additionalProperties")
    if node.get("type") == "object" and isinstance(extra, Mapping) and extra:
        value = _resolve(extra, defs)
        key = REPLICA_TYPE if is_replica_map else "<key>"
        yield from _children(value, defs, f"{path}.{key}", replica_key, False)
    items = node.get("items")
    if node.get("type") == "array" and isinstance(items, Mapping):
        yield from _children(_resolve(items, defs), defs, f"{path}[]", replica_key, False)


def _type_name(path: str, node: Schema) -> str:
    if "enum" in node:
        return "string"
    kind = node.get("type")
    if "anyOf" in node:
        return " or ".join(sorted({str(o.get("type")) for o in node["anyOf"] if o.get("type") != "null"}))
    if kind == "array":
        items = node.get("items") or {}
        return f"array of {items.get('type', 'object')}" if "$ref" not in items else "array of object"
    if kind == "object":
        if path.endswith(".template"):
            return "object (PodTemplateSpec, kept verbatim)"
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping) and extra and not node.get("properties"):
            return (
                f"map of `{REPLICA_TYPE}` to object" if path.count(".") == 1 and "Replica" in path else "map"
            )
        return "object" if node.get("properties") else "object (free-form, kept verbatim)"
    return str(kind) if kind else "any"


def _bounds(node: Schema) -> tuple[str, ...]:
    found = []
    if "minimum" in node:
        found.append(f"≥ {node['minimum']}")
    if "maximum" in node:
        found.append(f"≤ {node['maximum']}")
    return tuple(found)


def _code(value: Any) -> str:
    return f"`{json.dumps(value)}`" if isinstance(value, str) and value == "" else f"`{_plain(value)}`"


def _plain(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


# --- defaults ----------------------------------------------------------------------------------------------


def _api_server_defaults(document: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(wire path, default) of every `default` in the CRD's `spec` schema: what the API server stores."""
    schema = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]

    def visit(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
        if "default" in node:
            yield path, node["default"]
        for name, sub in node.get("properties", {}).items():
            yield from visit(sub, f"{path}.{name}")

    yield from visit(schema, "spec")


def minimal_body(framework: Framework, raw: Schema | None = None) -> dict[str, Any]:
    """The smallest job that parses: every replica type with one container, required strings empty."""
    kind = framework.kind
    container = {"name": kind.default_container, "image": "busybox"}
    replica = {"template": {"spec": {"containers": [container]}}}
    spec: dict[str, Any] = {
        kind.replica_map_key: {rt: json.loads(json.dumps(replica)) for rt in kind.replica_types}
    }
    schema = raw if raw is not None else spec_schema(framework)
    for name in schema.get("required", ()):
        spec.setdefault(name, "")
    return {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": "docgen", "namespace": "default"},
        "spec": spec,
    }


def _operator_defaults(framework: Framework) -> dict[str, str]:
    """What `framework.default` fills into a minimal job, by wire path; per replica type when they differ."""
    body = minimal_body(framework)
    defaulted = framework.default(framework.parse(body)).model_dump(
        by_alias=True, mode="json", exclude_none=True
    )
    found: dict[str, str] = {}
    key = framework.kind.replica_map_key
    spec = defaulted.get("spec", {})
    for name, value in spec.items():
        if name == key:
            continue
        _collect(value, body["spec"].get(name), f"spec.{name}", found)
    per_type: dict[str, dict[str, str]] = {}
    for replica_type, replica in (spec.get(key) or {}).items():
        collected: dict[str, str] = {}
        _collect(replica, body["spec"][key].get(replica_type), f"spec.{key}.{REPLICA_TYPE}", collected)
        for path, value in collected.items():
            per_type.setdefault(path, {})[replica_type] = value
    for path, by_type in per_type.items():
        if path.endswith(".template") or ".template." in path:
            continue  # the pod template's additions (ports) are documented in the kind's own section
        values = set(by_type.values())
        if len(values) == 1 and len(by_type) == len(framework.kind.replica_types):
            found[path] = values.pop()
        else:
            found[path] = ", ".join(f"{rt}: {value}" for rt, value in by_type.items())
    return found


def _collect(value: Any, given: Any, path: str, found: dict[str, str]) -> None:
    if value == given:
        return
    if isinstance(value, dict) and value:
        for name, sub in value.items():
            _collect(
                sub, (given or {}).get(name) if isinstance(given, dict) else None, f"{path}.{name}", found
            )
        return
    found[path] = _code(value)


# --- allowed values the admission rules check (not visible in the schema) ----------------------------------


def _probed_allowed(framework: Framework, raw: Schema, defs: Schema) -> dict[str, tuple[str, ...]]:
    """Allowed values of plain string fields, as the kind's admission rules report them for a bad value."""
    found: dict[str, tuple[str, ...]] = {}
    replica_type = framework.kind.replica_types[0]
    for path, node, _ in _walk(raw, defs, "spec", framework.kind.replica_map_key):
        if node.get("type") != "string" or "[]" in path or "<key>" in path:
            continue
        parts = path.replace(REPLICA_TYPE, replica_type).split(".")[1:]
        if "enum" in node:  # the schema admits these; the kind's rules may narrow them (MPIJob)
            admitted = [v for v in node["enum"] if not _rejections(framework, raw, parts, v, path)]
            if admitted != list(node["enum"]):
                found[path] = tuple(_code(v) for v in admitted)
            continue
        for problem in _rejections(framework, raw, parts, _PROBE, path):
            if problem.allowed:
                found[path] = tuple(_code(v) for v in problem.allowed)
    return found


def _rejections(
    framework: Framework, raw: Schema, parts: list[str], value: str, path: str
) -> list[FieldProblem]:
    """The admission problems a minimal job with `value` at `path` gets on that very field."""
    body = minimal_body(framework, raw)
    _set(body, parts, value)
    try:
        problems = framework.problems(framework.parse(body))
    except InvalidJob:  # a value the model itself rejects: the schema already says what is allowed
        return []
    return [p for p in problems if _normalised(p.path) == _normalised(path)]


def _set(body: dict[str, Any], parts: list[str], value: Any) -> None:
    node = body["spec"]
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _normalised(path: str) -> str:
    return re.sub(r"\[[^\]]*\]|\.<replicaType>", "", path)


# --- rendering ---------------------------------------------------------------------------------------------


def render(framework: Framework) -> str:
    """The kind's reference page as Markdown."""
    kind = framework.kind
    lines = [
        f"# {kind.kind}",
        "",
        "<!-- Generated from the models by `python -m training_operator.core.docgen`; do not edit. -->",
        "",
        *_identity(framework),
        "",
        "## Replica types",
        "",
        *_replica_section(kind),
        "",
        "## Spec fields",
        "",
        f"`{REPLICA_TYPE}` stands for a key of `spec.{kind.replica_map_key}`.",
        f"Defaults marked *{_API_SERVER}* are written into the stored object by the CRD; those marked",
        "*operator* are applied in memory on every reconcile and never written back (shown for a job that",
        "leaves the field unset). Behaviour of",
        "`runPolicy` and `status`: [run-policy-and-status.md](../run-policy-and-status.md).",
        "",
        "| Field | Type | Required | Default | Allowed values |",
        "|---|---|---|---|---|",
    ]
    for row in field_rows(framework):
        cells = (
            f"`{row.path}`",
            row.type,
            "yes" if row.required else "",
            "; ".join(row.defaults),
            ", ".join(row.allowed),
        )
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    lines += ["", "## Printer columns", "", "| Name | Type | JSON path |", "|---|---|---|"]
    version = crd.crd_for(framework)["spec"]["versions"][0]
    for column in version["additionalPrinterColumns"]:
        lines.append(f"| {column['name']} | {column['type']} | `{column['jsonPath']}` |")
    return "\n".join(lines) + "\n"


def _identity(framework: Framework) -> list[str]:
    kind = framework.kind
    short = ", ".join(f"`{name}`" for name in kind.short_names) or "none"
    scale = (
        f"yes, on `spec.{kind.replica_map_key}.{kind.scale_replica_type}.replicas`"
        if kind.scale_replica_type
        else "no"
    )
    return [
        "| | |",
        "|---|---|",
        f"| apiVersion | `{kind.api_version}` |",
        f"| kind / plural / singular | `{kind.kind}` / `{kind.plural}` / `{kind.singular}` |",
        f"| short names | {short} |",
        f"| categories | {', '.join(f'`{c}`' for c in kind.categories)} |",
        f"| `--enable-scheme` value | `{kind.scheme}` |",
        f"| `training.kubeflow.org/operator-name` label | `{kind.controller_name}` |",
        f"| scale subresource | {scale} |",
        f"| children the operator may create | {', '.join(sorted(f'`{c.value}`' for c in kind.children))} |",
    ]


def _replica_section(kind: KindInfo) -> list[str]:
    port = (
        f"`{kind.default_port_name}` = `{kind.default_port}` (added to the default container, else the "
        "first, unless it already has a port of that name)"
        if kind.default_port_name
        else "none"
    )
    lines = [
        f"Replica types: {', '.join(f'`{rt}`' for rt in kind.replica_types)}.",
        "",
        f"- Default container (the one the operator configures): `{kind.default_container}`",
        f"- Default port: {port}",
        f"- Default restart policy: `{kind.default_restart_policy.value}` (what each replica type gets "
        "is in the `restartPolicy` row below)",
    ]
    if kind.normalised_types:
        names = ", ".join(f"`{rt}`" for rt in kind.normalised_types)
        lines.append(f"- Keys matched case-insensitively and rewritten to: {names}")
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def file_name(kind: KindInfo) -> str:
    """`pytorchjob.md`: the `--enable-scheme` value."""
    return f"{kind.scheme}.md"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) one page per installed framework."""
    return generated.main(
        argv,
        description=__doc__ or "",
        what="kind reference pages",
        module="training_operator.core.docgen",
        render=render,
        file_name=file_name,
    )


if __name__ == "__main__":
    raise SystemExit(main())
