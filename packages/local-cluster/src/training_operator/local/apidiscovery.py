"""Discovery documents: /version, /api, /apis and the per-version APIResourceLists.

kubectl and the client libraries find every resource through these, including short names (`kubectl get
po`), categories (`kubectl get all`) and subresources; built from the catalog on each request so CRDs
appear and disappear at once.
"""

from typing import Any

from training_operator.local.__about__ import __version__
from training_operator.local.catalog import Catalog
from training_operator.local.resources import ResourceType

KUBERNETES_VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0-local",
    "gitCommit": "local",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.22",
    "compiler": "gc",
    "platform": "linux/amd64",
}
_SUBRESOURCE_VERBS = {
    "status": ["get", "patch", "update"],
    "scale": ["get", "patch", "update"],
    "log": ["get"],
    "binding": ["create"],
    "finalize": ["update"],
}


def version_info(kubernetes: str | None = None) -> dict[str, Any]:
    """/version: a Kubernetes version kubectl accepts, tagged so users can tell the local server apart;
    `kubernetes` ("1.24.3") makes it claim another one, to test clients against an older server."""
    if kubernetes is None:
        return {**KUBERNETES_VERSION, "gitVersion": f"v1.31.0-local+{__version__}"}
    major, minor, *_ = kubernetes.split(".")
    return {**KUBERNETES_VERSION, "major": major, "minor": minor, "gitVersion": f"v{kubernetes}-local"}


def core_versions() -> dict[str, Any]:
    """/api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    }


def _group(name: str, versions: list[str]) -> dict[str, Any]:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_list(catalog: Catalog) -> dict[str, Any]:
    """/apis."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(name, versions) for name, versions in sorted(catalog.groups().items())],
    }


def group(catalog: Catalog, name: str) -> dict[str, Any] | None:
    """/apis/{group}, or None for an unknown group."""
    versions = catalog.groups().get(name)
    if versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def _entries(rtype: ResourceType) -> list[dict[str, Any]]:
    main: dict[str, Any] = {
        "name": rtype.plural,
        "singularName": rtype.singular,
        "namespaced": rtype.namespaced,
        "kind": rtype.kind,
        "verbs": list(rtype.verbs),
    }
    if rtype.short_names:
        main["shortNames"] = list(rtype.short_names)
    if rtype.categories:
        main["categories"] = list(rtype.categories)
    entries = [main]
    for sub in sorted(rtype.subresources):
        kind = {"scale": "Scale", "binding": "Binding"}.get(sub, "Pod" if sub == "log" else rtype.kind)
        entry = {
            "name": f"{rtype.plural}/{sub}",
            "singularName": "",
            "namespaced": rtype.namespaced,
            "kind": kind,
            "verbs": _SUBRESOURCE_VERBS[sub],
        }
        if sub == "scale":
            entry.update(group="autoscaling", version="v1")
        entries.append(entry)
    if rtype.key == "/namespaces":
        entries.append(
            {
                "name": "namespaces/finalize",
                "singularName": "",
                "namespaced": False,
                "kind": "Namespace",
                "verbs": ["update"],
            }
        )
    return entries


def resource_list(catalog: Catalog, group_name: str, version: str) -> dict[str, Any] | None:
    """/api/v1 or /apis/{group}/{version}, or None when nothing is served there."""
    types = [t for t in catalog.all() if t.group == group_name and version in t.versions]
    if not types:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group_name}/{version}" if group_name else version,
        "resources": [entry for t in types for entry in _entries(t)],
    }
