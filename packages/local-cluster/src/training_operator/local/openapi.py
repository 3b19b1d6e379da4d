"""A minimal OpenAPI v3 index, enough for kubectl to choose server-side field validation.

kubectl decides between client-side validation (needs full schemas) and server-side validation by looking
for the `fieldValidation` parameter on each group-version's operations; we publish exactly that and no
schemas, so `kubectl apply`/`create` work without `--validate=false` and the server validates instead.
"""

from typing import Any

from training_operator.local.catalog import Catalog

_PARAMS = [
    {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
    {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
]


def _gv_path(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def index(catalog: Catalog) -> dict[str, Any]:
    """/openapi/v3: one entry per served group-version."""
    paths = {}
    for rtype in catalog.all():
        for version in rtype.versions:
            path = _gv_path(rtype.group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}"}
    return {"paths": paths}


def group_version(catalog: Catalog, group: str, version: str) -> dict[str, Any] | None:
    """/openapi/v3/{api/v1|apis/g/v}: operations with their GVK and the fieldValidation parameter."""
    paths: dict[str, Any] = {}
    for rtype in catalog.all():
        if rtype.group != group or version not in rtype.versions:
            continue
        gvk = {"group": group, "version": version, "kind": rtype.kind}
        prefix = f"/{_gv_path(group, version)}"
        collection = (
            f"{prefix}/namespaces/{{namespace}}/{rtype.plural}"
            if rtype.namespaced
            else f"{prefix}/{rtype.plural}"
        )
        operation = {"parameters": _PARAMS, "x-kubernetes-group-version-kind": gvk, "responses": {}}
        paths[collection] = {
            "post": operation,
            "get": {"x-kubernetes-group-version-kind": gvk, "responses": {}},
        }
        paths[f"{collection}/{{name}}"] = {"put": operation, "patch": operation, "get": operation}
    if not paths:
        return None
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.31.0-local"},
        "paths": paths,
        "components": {"schemas": {}},
    }
