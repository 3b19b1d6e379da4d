"""What a resource type is, and the built-in types the local server serves.

A frozen description per resource drives discovery, routing, the registry's write rules and the tables, so
adding a built-in type is one row here. Custom resources get the same description from their CRD
(see `catalog.py`).
"""

from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One served resource: the coordinates clients use and the write rules the registry applies."""

    group: str
    versions: tuple[str, ...]
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: frozenset[str] = frozenset()
    verbs: tuple[str, ...] = ALL_VERBS
    # CRD-only pieces; `None` for built-ins.
    schemas: dict[str, dict[str, Any]] | None = field(default=None, compare=False, hash=False)
    printer_columns: dict[str, list[dict[str, Any]]] | None = field(default=None, compare=False, hash=False)
    scale_paths: dict[str, str] | None = field(default=None, compare=False, hash=False)
    storage_version: str = ""

    @property
    def key(self) -> str:
        """Storage key, version-free: every served version shares one stored object."""
        return f"{self.group}/{self.plural}"

    @property
    def has_status(self) -> bool:
        """Resources with a status subresource keep spec and status writes apart."""
        return "status" in self.subresources

    @property
    def is_custom(self) -> bool:
        """Custom resources are validated against their CRD schema."""
        return self.schemas is not None

    def api_version(self, version: str) -> str:
        """The `apiVersion` string for one of the served versions."""
        return f"{self.group}/{version}" if self.group else version

    @property
    def preferred_version(self) -> str:
        """The version discovery advertises first."""
        return self.storage_version or self.versions[0]


def _core(plural: str, kind: str, **kw: Any) -> ResourceType:
    return ResourceType("", ("v1",), plural, kind.lower(), kind, **kw)


def _grouped(group: str, version: str, plural: str, kind: str, **kw: Any) -> ResourceType:
    return ResourceType(group, (version,), plural, kind.lower(), kind, **kw)


_STATUS = frozenset({"status"})
BUILTIN_TYPES: tuple[ResourceType, ...] = (
    _core(
        "namespaces",
        "Namespace",
        namespaced=False,
        short_names=("ns",),
        subresources=_STATUS,
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    _core(
        "pods",
        "Pod",
        namespaced=True,
        short_names=("po",),
        categories=("all",),
        subresources=frozenset({"status", "log", "binding"}),
    ),
    _core(
        "services",
        "Service",
        namespaced=True,
        short_names=("svc",),
        categories=("all",),
        subresources=_STATUS,
    ),
    _core("endpoints", "Endpoints", namespaced=True, short_names=("ep",)),
    _core("configmaps", "ConfigMap", namespaced=True, short_names=("cm",)),
    _core("secrets", "Secret", namespaced=True),
    _core("serviceaccounts", "ServiceAccount", namespaced=True, short_names=("sa",)),
    _core("events", "Event", namespaced=True, short_names=("ev",)),
    _core("nodes", "Node", namespaced=False, short_names=("no",), subresources=_STATUS),
    _core(
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        namespaced=True,
        short_names=("pvc",),
        subresources=_STATUS,
    ),
    _grouped("events.k8s.io", "v1", "events", "Event", namespaced=True, short_names=("ev",)),
    _grouped("batch", "v1", "jobs", "Job", namespaced=True, categories=("all",), subresources=_STATUS),
    _grouped("coordination.k8s.io", "v1", "leases", "Lease", namespaced=True),
    _grouped(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        namespaced=True,
        short_names=("hpa",),
        categories=("all",),
        subresources=_STATUS,
    ),
    _grouped(
        "scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", namespaced=False, short_names=("pc",)
    ),
    _grouped("rbac.authorization.k8s.io", "v1", "roles", "Role", namespaced=True),
    _grouped("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", namespaced=True),
    _grouped("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    _grouped(
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", namespaced=False
    ),
    _grouped(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=_STATUS,
    ),
    _grouped(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        namespaced=False,
        categories=("api-extensions",),
    ),
    _grouped(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        namespaced=False,
        categories=("api-extensions",),
    ),
)
