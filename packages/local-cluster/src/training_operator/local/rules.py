"""CRD validation rules (`x-kubernetes-validations`): CEL expressions the API server checks on every write.

As the apiextensions-apiserver does: `self` is the value at the rule's schema node; a rule that mentions
`oldSelf` is a transition rule, checked only on update and only where the old object has a value at the
same place (object properties and map values correlate; list items do not, as for non-map lists). A false
rule is a FieldValueInvalid cause `Invalid value: "<type>": <message>`. Expressions are evaluated with
cel-python, imported only when a CRD carries rules, and compiled once per expression.
"""

import functools
from typing import Any

from training_operator.local import errors

Schema = dict[str, Any]
_MISSING: Any = object()
_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def violations(new: Any, old: Any, schema: Schema, path: str = "") -> list[dict[str, str]]:
    """Causes for every rule `new` breaks (`old`: the stored object on update, else `_MISSING`/None)."""
    causes: list[dict[str, str]] = []
    _check(new, _MISSING if old is None else old, schema, path, causes)
    return causes


def _check(new: Any, old: Any, schema: Schema, path: str, causes: list[dict[str, str]]) -> None:
    for rule in schema.get("x-kubernetes-validations") or ():
        expression = str(rule["rule"])
        transition = "oldSelf" in expression
        if transition and old is _MISSING:
            continue
        if not _holds(expression, new, old if transition else _MISSING):
            shown = _TYPES.get(type(new), "object")
            message = str(rule.get("message") or f"failed rule: {expression}")
            causes.append(errors.cause(path, "FieldValueInvalid", f'Invalid value: "{shown}": {message}'))
    if isinstance(new, dict):
        olds = old if isinstance(old, dict) else {}
        extra = schema.get("additionalProperties")
        for key, value in new.items():
            child = (schema.get("properties") or {}).get(key) or (extra if isinstance(extra, dict) else None)
            if child is not None:
                _check(value, olds.get(key, _MISSING), child, f"{path}.{key}" if path else key, causes)
    elif isinstance(new, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(new):
            _check(item, _MISSING, schema["items"], f"{path}[{index}]", causes)


def _holds(expression: str, new: Any, old: Any) -> bool:
    from celpy.adapter import json_to_cel

    activation = {"self": json_to_cel(new)}
    if old is not _MISSING:
        activation["oldSelf"] = json_to_cel(old)
    return bool(_program(expression).evaluate(activation))


@functools.cache
def _program(expression: str) -> Any:
    import celpy

    environment = celpy.Environment()
    return environment.program(environment.compile(expression))


#: schema id → (the schema, kept so the id is never reused; whether it has rules)
_SEEN: dict[int, tuple[Schema, bool]] = {}


def has_rules(schema: Schema) -> bool:
    """Whether any node of the schema carries a rule (most CRDs have none: skip the walk and the import);
    answered once per schema object, not on every write."""
    seen = _SEEN.get(id(schema))
    if seen is None:
        seen = _SEEN[id(schema)] = (schema, _any_rule(schema))
    return seen[1]


def _any_rule(node: Any) -> bool:
    if isinstance(node, dict):
        return "x-kubernetes-validations" in node or any(_any_rule(v) for v in node.values())
    if isinstance(node, list):
        return any(_any_rule(v) for v in node)
    return False
