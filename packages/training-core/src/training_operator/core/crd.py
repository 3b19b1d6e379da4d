"""CustomResourceDefinitions generated from the job models, so the schema the API server enforces and the
models the operator parses can never disagree (CI fails when the committed files drift).

The schemas are structural apiextensions v1; the one CEL rule is upstream's transition rule keeping
`schedulingPolicy.queue` immutable (V8), which is why Kubernetes 1.25 is the minimum (validation rules on
by default; preflight refuses older servers). Pod templates and other embedded Kubernetes objects are
`x-kubernetes-preserve-unknown-fields`, so the API server never prunes a pod field a user writes, whatever
its Kubernetes version. `spec.runPolicy` defaults to `{}` because Kubeflow's own SDK refuses to read back a
job without one.

    python -m training_operator.core.crd --out manifests/base/crds
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from training_operator.core import generated
from training_operator.core.api.common import QUEUE_IMMUTABLE
from training_operator.core.framework import Framework, KindInfo

_DROP = {"title", "description", "default", "examples"}
_KEEP_NUMERIC = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
Schema = dict[str, Any]


def crd_for(framework: Framework) -> dict[str, Any]:
    """The CRD of one framework's kind, as a JSON-ready dict."""
    kind = framework.kind
    spec_type = framework.model.model_fields["spec"].annotation
    raw = spec_type.model_json_schema(by_alias=True, mode="validation")  # type: ignore[union-attr]
    spec_schema = structural(raw, raw.get("$defs", {}))
    run_policy = spec_schema.get("properties", {}).get("runPolicy")
    if run_policy is not None:
        run_policy["default"] = {}
        suspend = run_policy.get("properties", {}).get("suspend")
        if suspend is not None:
            suspend["default"] = False
        _queue_rule(run_policy, kind)
    schema = {
        "type": "object",
        "description": f"{kind.kind} is the Schema for the {kind.plural} API.",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": spec_schema,
            "status": _status_schema(framework),
        },
        "required": ["spec"],
    }
    return _document(kind, schema)


def _queue_rule(run_policy: Schema, kind: KindInfo) -> None:
    """V8 on the kubeflow.org/v1 kinds, as upstream's CRDs carry it (mpi-operator's v2beta1 does not)."""
    scheduling = run_policy.get("properties", {}).get("schedulingPolicy", {})
    queue = scheduling.get("properties", {}).get("queue")
    if queue is not None and kind.version == "v1":
        queue["x-kubernetes-validations"] = [{"message": QUEUE_IMMUTABLE, "rule": "self == oldSelf"}]


def _status_schema(framework: Framework) -> Schema:
    status_field = framework.model.model_fields["status"].annotation
    raw = _non_null(status_field).model_json_schema(by_alias=True, mode="validation")
    return structural(raw, raw.get("$defs", {}))


def _non_null(annotation: Any) -> Any:
    args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
    return args[0] if args else annotation


def _document(kind: KindInfo, schema: Schema) -> dict[str, Any]:
    subresources: dict[str, Any] = {"status": {}}
    if kind.scale_replica_type:
        rt = kind.scale_replica_type
        subresources["scale"] = {
            "specReplicasPath": f".spec.{kind.replica_map_key}.{rt}.replicas",
            "statusReplicasPath": f".status.replicaStatuses.{rt}.active",
            "labelSelectorPath": f".status.replicaStatuses.{rt}.selector",
        }
    state = {"jsonPath": ".status.conditions[-1:].type", "name": "State", "type": "string"}
    age = {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"}
    names: dict[str, Any] = {
        "kind": kind.kind,
        "listKind": f"{kind.kind}List",
        "plural": kind.plural,
        "singular": kind.singular,
    }
    if kind.short_names:
        names["shortNames"] = list(kind.short_names)
    if kind.categories:
        names["categories"] = list(kind.categories)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{kind.plural}.{kind.group}"},
        "spec": {
            "group": kind.group,
            "names": names,
            "scope": "Namespaced",
            "versions": [
                {
                    "name": kind.version,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": schema},
                    "subresources": subresources,
                    "additionalPrinterColumns": [age, state] if kind.kind == "MPIJob" else [state, age],
                }
            ],
        },
    }


def structural(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Schema:
    """A pydantic JSON schema node rewritten as a structural OpenAPI v3 schema."""
    if "$ref" in node:
        return structural(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        # Optional fields are not nullable: the API server prunes a null, as it does for upstream's CRDs.
        options = [o for o in node["anyOf"] if o.get("type") != "null"]
        return structural(options[0], defs) if len(options) == 1 else _int_or_string(options)
    if "allOf" in node and len(node["allOf"]) == 1:
        return structural(node["allOf"][0], defs)
    if "enum" in node:
        return {"type": "string", "enum": list(node["enum"])}
    kind = node.get("type")
    if kind == "object":
        return _object(node, defs)
    if kind == "array":
        items = node.get("items")
        return {"type": "array", "items": structural(items, defs) if items else _free_object()}
    if kind is None:
        return _free_object()
    result: Schema = {"type": kind}
    result.update({k: node[k] for k in (*_KEEP_NUMERIC, "pattern", "format") if k in node})
    return result


def _object(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Schema:
    properties = node.get("properties")
    if properties:
        result: Schema = {
            "type": "object",
            "properties": {name: structural(sub, defs) for name, sub in properties.items()},
        }
        if node.get("required"):
            result["required"] = list(node["required"])
        return result
    extra = node.get("additionalProperties")
    if isinstance(extra, Mapping) and extra:
        return {"type": "object", "additionalProperties": structural(extra, defs)}
    return _free_object()


def _free_object() -> Schema:
    """An embedded Kubernetes object (pod template) or free-form map: kept verbatim, never pruned."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def _int_or_string(options: list[Any]) -> Schema:
    types = {o.get("type") for o in options}
    if types <= {"integer", "string"}:
        return {"x-kubernetes-int-or-string": True}
    return _free_object()


def render(framework: Framework) -> str:
    """The CRD as YAML, with a header saying it is generated."""
    header = "# Generated from the models by `python -m training_operator.core.crd`; do not edit.\n"
    return header + yaml.safe_dump(crd_for(framework), sort_keys=False, width=120)


def file_name(kind: KindInfo) -> str:
    """Upstream's file naming: `kubeflow.org_tfjobs.yaml`."""
    return f"{kind.group}_{kind.plural}.yaml"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) one CRD file per installed framework."""
    return generated.main(
        argv,
        description=__doc__ or "",
        what="CRDs",
        module="training_operator.core.crd",
        render=render,
        file_name=file_name,
    )


if __name__ == "__main__":
    raise SystemExit(main())
