"""CRD structural schemas: defaulting, pruning and validation of custom resources.

Order follows the apiextensions-apiserver: unknown fields are pruned, then `default:` values are filled in,
then the result is validated. Pruning happens where a real server prunes: everywhere except below
`x-kubernetes-preserve-unknown-fields: true`; `apiVersion`, `kind` and `metadata` survive at the root and in
`x-kubernetes-embedded-resource` objects.
"""

import copy
import re
from typing import Any

from training_operator.local import errors

Schema = dict[str, Any]
#: ObjectMeta's fields (apimachinery meta/v1)
OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)
_TYPE_NAMES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
}


def _properties_schema(schema: Schema, key: str) -> Schema | None:
    props = schema.get("properties") or {}
    if key in props:
        return props[key]  # type: ignore[no-any-return]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        return extra
    if extra is True:
        return {"x-kubernetes-preserve-unknown-fields": True}
    return None


def prune(
    value: Any, schema: Schema, *, root: bool = False, path: str = "", removed: list[str] | None = None
) -> Any:
    """Drop fields the schema does not declare, in place and returned; their paths go to `removed`."""
    if isinstance(value, dict):
        preserve = schema.get("x-kubernetes-preserve-unknown-fields") is True
        keep_meta = root or schema.get("x-kubernetes-embedded-resource") is True
        for key in list(value):
            if keep_meta and key == "metadata" and isinstance(value[key], dict):
                _prune_meta(value[key], f"{path}.metadata" if path else "metadata", removed)
                continue
            if keep_meta and key in ("apiVersion", "kind", "metadata"):
                continue
            child = _properties_schema(schema, key)
            child_path = f"{path}.{key}" if path else key
            if child is None:
                if not preserve:
                    del value[key]
                    if removed is not None:
                        removed.append(child_path)
            else:
                prune(value[key], child, path=child_path, removed=removed)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            prune(item, schema["items"], path=f"{path}[{index}]", removed=removed)
    return value


def _prune_meta(meta: dict[str, Any], path: str, removed: list[str] | None) -> None:
    """ObjectMeta decodes only its own fields: anything else is dropped (or, strictly, refused)."""
    for key in [k for k in meta if k not in OBJECT_META]:
        del meta[key]
        if removed is not None:
            removed.append(f"{path}.{key}")


def apply_defaults(value: Any, schema: Schema) -> Any:
    """Fill missing properties from `default:`, recursively, in place and returned."""
    if isinstance(value, dict):
        for key, child in (schema.get("properties") or {}).items():
            if key not in value and "default" in child:
                value[key] = copy.deepcopy(child["default"])
            if key in value:
                apply_defaults(value[key], child)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in value:
                if key not in (schema.get("properties") or {}):
                    apply_defaults(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            apply_defaults(item, schema["items"])
    return value


def _type_ok(value: Any, schema: Schema) -> bool:
    wanted = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    if wanted is None:
        return True
    if wanted == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if wanted == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPE_NAMES.get(wanted, object))


def _shown(value: Any) -> str:
    return (
        f'"{value}"'
        if isinstance(value, str)
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _check_scalar(value: Any, schema: Schema, path: str, causes: list[dict[str, str]]) -> None:
    def bad(message: str) -> None:
        causes.append(errors.cause(path, "FieldValueInvalid", f"Invalid value: {_shown(value)}: {message}"))

    if "enum" in schema and value not in schema["enum"]:
        supported = ", ".join(_shown(v) for v in schema["enum"])
        causes.append(
            errors.cause(
                path,
                "FieldValueNotSupported",
                f"Unsupported value: {_shown(value)}: supported values: {supported}",
            )
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and (
            value <= schema["minimum"] if schema.get("exclusiveMinimum") else value < schema["minimum"]
        ):
            bad(f"{path} in body should be greater than or equal to {schema['minimum']}")
        if "maximum" in schema and (
            value >= schema["maximum"] if schema.get("exclusiveMaximum") else value > schema["maximum"]
        ):
            bad(f"{path} in body should be less than or equal to {schema['maximum']}")
        if "multipleOf" in schema and value % schema["multipleOf"]:
            bad(f"{path} in body should be a multiple of {schema['multipleOf']}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            bad(f"{path} in body should be at least {schema['minLength']} chars long")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            causes.append(
                errors.cause(
                    path, "FieldValueTooLong", f"Too long: may not be more than {schema['maxLength']} bytes"
                )
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            bad(f"{path} in body should match '{schema['pattern']}'")


def _check_children(value: Any, schema: Schema, path: str, causes: list[dict[str, str]]) -> None:
    if isinstance(value, dict):
        causes.extend(
            errors.cause(f"{path}.{key}" if path else key, "FieldValueRequired", "Required value")
            for key in schema.get("required") or ()
            if key not in value
        )
        for key, child_value in value.items():
            child = _properties_schema(schema, key)
            if child is not None:
                _validate(child_value, child, f"{path}.{key}" if path else key, causes)
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            causes.append(
                errors.cause(
                    path,
                    "FieldValueTooMany",
                    f"Too many: {len(value)}: must have at most {schema['maxProperties']} items",
                )
            )
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            causes.append(
                errors.cause(
                    path,
                    "FieldValueInvalid",
                    f"{path} in body should have at least {schema['minProperties']} properties",
                )
            )
    elif isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(
                errors.cause(
                    path,
                    "FieldValueTooMany",
                    f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
                )
            )
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(
                errors.cause(
                    path,
                    "FieldValueInvalid",
                    f"{path} in body should have at least {schema['minItems']} items",
                )
            )
        if isinstance(schema.get("items"), dict):
            for index, item in enumerate(value):
                _validate(item, schema["items"], f"{path}[{index}]", causes)


def _validate(value: Any, schema: Schema, path: str, causes: list[dict[str, str]]) -> None:
    if value is None:
        if not schema.get("nullable"):
            causes.append(
                errors.cause(
                    path,
                    "FieldValueTypeInvalid",
                    f'Invalid value: "null": {path} in body must be of type '
                    f'{schema.get("type", "object")}: "null"',
                )
            )
        return
    if not _type_ok(value, schema):
        actual = {
            dict: "object",
            list: "array",
            str: "string",
            bool: "boolean",
            int: "integer",
            float: "number",
        }.get(type(value), "unknown")
        wanted = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
        causes.append(
            errors.cause(
                path,
                "FieldValueTypeInvalid",
                f'Invalid value: "{actual}": {path} in body must be of type {wanted}: "{actual}"',
            )
        )
        return
    _check_scalar(value, schema, path, causes)
    _check_children(value, schema, path, causes)
    for sub in schema.get("allOf") or ():
        _validate(value, sub, path, causes)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            matches = sum(1 for sub in schema[key] if not validate(value, sub, path))
            if matches == 0 or (key == "oneOf" and matches > 1):
                causes.append(
                    errors.cause(path, "FieldValueInvalid", f"Invalid value: {path} must validate {key}")
                )


def validate(value: Any, schema: Schema, path: str = "") -> list[dict[str, str]]:
    """Every violation as a `StatusCause`; empty when the value is valid."""
    causes: list[dict[str, str]] = []
    _validate(value, schema, path, causes)
    return causes


def admit_custom(
    obj: dict[str, Any], schema: Schema, *, removed: list[str] | None = None
) -> list[dict[str, str]]:
    """Prune, default and validate a whole custom object in place; the causes of a 422 if any."""
    prune(obj, schema, root=True, removed=removed)
    apply_defaults(obj, schema)
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    sub_schema = {
        **schema,
        "properties": {
            k: v
            for k, v in (schema.get("properties") or {}).items()
            if k not in ("apiVersion", "kind", "metadata")
        },
    }
    return validate(body, sub_schema)
