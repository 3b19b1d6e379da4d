"""Strict field validation: the fields of a job that its CRD schema does not declare.

An API server prunes such fields silently unless the client asks for `fieldValidation=Strict` (kubectl does),
so `replicass: 2` would run a job with the default world size. The CLI and the SDK find them before sending,
by the same schema the API server enforces (`core.crd`, generated from the models), and report them in
kubectl's words: `strict decoding error: unknown field "spec.pytorchReplicaSpecs.Worker.replicass"`. The
paths are the pruner's: every key after a dot, list indexes in brackets. Below
`x-kubernetes-preserve-unknown-fields` (pod templates) nothing is unknown, exactly as the server prunes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training_operator.core import crd
from training_operator.core.api.problems import FieldProblem, ProblemKind
from training_operator.core.errors import InvalidJob
from training_operator.core.framework import Framework

Schema = Mapping[str, Any]
#: ObjectMeta's fields (apimachinery meta/v1): the only ones a strict server accepts under `metadata`
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


class UnknownFields(InvalidJob):
    """A job with fields its kind does not declare; `paths` name them as the API server would."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__([FieldProblem(p, ProblemKind.FORBIDDEN, "unknown field") for p in paths])
        self.paths = tuple(paths)
        self.args = (message(paths),)


def message(paths: list[str]) -> str:
    """kubectl's text for a strict decoding failure."""
    return "strict decoding error: " + ", ".join(f'unknown field "{p}"' for p in paths)


def schema_of(framework: Framework) -> Schema:
    """The openAPIV3Schema of the kind's CRD (built once per kind and version)."""
    key = framework.kind.api_version + "/" + framework.kind.kind
    if key not in _SCHEMAS:
        version = crd.crd_for(framework)["spec"]["versions"][0]
        _SCHEMAS[key] = version["schema"]["openAPIV3Schema"]
    return _SCHEMAS[key]


_SCHEMAS: dict[str, Schema] = {}


def unknown_fields(body: Any, schema: Schema) -> list[str]:
    """Paths of every field in `body` that the schema would prune, in document order."""
    found: list[str] = []
    _walk(body, schema, "", found, root=True)
    return found


def check(body: Mapping[str, Any], framework: Framework) -> None:
    """Raise `UnknownFields` when the job carries a field its kind does not declare."""
    if found := unknown_fields(body, schema_of(framework)):
        raise UnknownFields(found)


def _child_schema(schema: Schema, key: str) -> Schema | None:
    properties = schema.get("properties") or {}
    if key in properties:
        return properties[key]  # type: ignore[no-any-return]
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return extra
    if extra is True or schema.get("x-kubernetes-preserve-unknown-fields") is True:
        return {"x-kubernetes-preserve-unknown-fields": True}
    return None


def _walk(value: Any, schema: Schema, path: str, found: list[str], *, root: bool = False) -> None:
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{index}]", found)
        return
    if not isinstance(value, Mapping):
        return
    embedded = root or schema.get("x-kubernetes-embedded-resource") is True
    for key, child in value.items():
        child_path = f"{path}.{key}" if path else str(key)
        if embedded and key in ("apiVersion", "kind"):
            continue
        if embedded and key == "metadata":
            if isinstance(child, Mapping):
                found.extend(f"{child_path}.{k}" for k in child if k not in OBJECT_META)
            continue
        child_schema = _child_schema(schema, str(key))
        if child_schema is None:
            found.append(child_path)
        else:
            _walk(child, child_schema, child_path, found)
