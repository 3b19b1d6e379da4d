"""The set of served resource types: built-ins plus one per established CRD.

Routing, discovery and the registry all ask the catalog, so a CRD becomes servable the moment it is
stored and disappears when it is deleted, as on a real server.
"""

from typing import Any

from training_operator.local.resources import BUILTIN_TYPES, ResourceType


def type_from_crd(crd: dict[str, Any]) -> ResourceType | None:
    """The resource a CRD defines, or None when it serves no version."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    if not versions or not names.get("plural"):
        return None
    storage = next((v["name"] for v in versions if v.get("storage")), versions[0]["name"])
    subresources: set[str] = set()
    scale_paths: dict[str, str] = {}
    for version in versions:
        sub = version.get("subresources") or {}
        if "status" in sub:
            subresources.add("status")
        if "scale" in sub:
            subresources.add("scale")
            scale_paths = dict(sub["scale"] or {})
    return ResourceType(
        group=spec.get("group", ""),
        versions=tuple(v["name"] for v in versions),
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        kind=names["kind"],
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        subresources=frozenset(subresources),
        schemas={
            v["name"]: (
                (v.get("schema") or {}).get("openAPIV3Schema")
                or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            )
            for v in versions
        },
        printer_columns={v["name"]: list(v.get("additionalPrinterColumns") or []) for v in versions},
        scale_paths=scale_paths,
        storage_version=storage,
    )


class Catalog:
    """Lookup by (group, version, plural) and by (group, kind); rebuilt when CRDs change."""

    def __init__(self) -> None:
        self._builtin = {(t.group, t.plural): t for t in BUILTIN_TYPES}
        self._custom: dict[tuple[str, str], ResourceType] = {}
        self._crd_names: dict[str, tuple[str, str]] = {}

    def set_crd(self, crd: dict[str, Any]) -> ResourceType | None:
        """Serve (or stop serving) what one CRD defines."""
        self.drop_crd(crd["metadata"]["name"])
        rtype = type_from_crd(crd)
        if rtype is not None and (rtype.group, rtype.plural) not in self._builtin:
            self._custom[(rtype.group, rtype.plural)] = rtype
            self._crd_names[crd["metadata"]["name"]] = (rtype.group, rtype.plural)
        return rtype

    def drop_crd(self, crd_name: str) -> None:
        """Stop serving a deleted CRD's resource."""
        key = self._crd_names.pop(crd_name, None)
        if key is not None:
            self._custom.pop(key, None)

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at /apis/group/version/plural, if that version is served."""
        rtype = self._builtin.get((group, plural)) or self._custom.get((group, plural))
        if rtype is None or version not in rtype.versions:
            return None
        return rtype

    def by_key(self, key: str) -> ResourceType | None:
        """The type for a storage key (`group/plural`)."""
        group, _, plural = key.partition("/")
        return self._builtin.get((group, plural)) or self._custom.get((group, plural))

    def by_kind(self, group: str, kind: str) -> ResourceType | None:
        """The type with this kind in this group (for ownerReferences and webhooks)."""
        for rtype in self.all():
            if rtype.group == group and rtype.kind == kind:
                return rtype
        return None

    def all(self) -> list[ResourceType]:
        """Every served type, built-ins first."""
        return list(self._builtin.values()) + list(self._custom.values())

    def groups(self) -> dict[str, list[str]]:
        """Group name → served versions (preferred first), for /apis."""
        result: dict[str, list[str]] = {}
        for rtype in self.all():
            if not rtype.group:
                continue
            versions = result.setdefault(rtype.group, [])
            for version in (rtype.preferred_version, *rtype.versions):
                if version not in versions:
                    versions.append(version)
        return result
