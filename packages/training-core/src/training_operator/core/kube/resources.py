"""The REST paths of the resources the operator touches, by (apiVersion, kind) and by ChildResource."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from training_operator.core import labels
from training_operator.core.framework import ChildResource, KindInfo


@dataclass(frozen=True, slots=True)
class Resource:
    """One namespaced resource type and how to address it."""

    api_version: str
    kind: str
    plural: str

    @property
    def builtin(self) -> bool:
        """A Kubernetes type (strategic merge patches work), not a custom resource such as a PodGroup."""
        return self.api_version in _BUILTIN_VERSIONS

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """`/api/v1/namespaces/ns/pods/name/status`, or the cluster-wide list path without a namespace."""
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        path = prefix + (f"/namespaces/{namespace}" if namespace else "") + f"/{self.plural}"
        if name:
            path += f"/{name}"
        if subresource:
            path += f"/{subresource}"
        return path


CHILDREN = {
    ChildResource.POD: Resource("v1", "Pod", "pods"),
    ChildResource.SERVICE: Resource("v1", "Service", "services"),
    ChildResource.CONFIG_MAP: Resource("v1", "ConfigMap", "configmaps"),
    ChildResource.SECRET: Resource("v1", "Secret", "secrets"),
    ChildResource.BATCH_JOB: Resource("batch/v1", "Job", "jobs"),
    ChildResource.HPA: Resource("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    ChildResource.VOLCANO_POD_GROUP: Resource("scheduling.volcano.sh/v1beta1", "PodGroup", "podgroups"),
    ChildResource.SCHEDULER_PLUGINS_POD_GROUP: Resource(
        "scheduling.x-k8s.io/v1alpha1", "PodGroup", "podgroups"
    ),
}
_BUILTIN_VERSIONS = frozenset({"v1", "batch/v1", "autoscaling/v2", "coordination.k8s.io/v1"})
EVENTS = Resource("v1", "Event", "events")
LEASES = Resource("coordination.k8s.io/v1", "Lease", "leases")
PRIORITY_CLASSES = Resource("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses")
_BY_TYPE = {(r.api_version, r.kind): r for r in CHILDREN.values()}


def of_type(api_version: str, kind: str) -> Resource:
    """The resource of an object body's apiVersion and kind."""
    try:
        return _BY_TYPE[(api_version, kind)]
    except KeyError:
        raise ValueError(f"the operator does not manage {kind} ({api_version})") from None


def of_kind(kind: KindInfo) -> Resource:
    """The custom resource of a job kind."""
    return Resource(kind.api_version, kind.kind, kind.plural)


def selector(child: ChildResource, kinds: Iterable[KindInfo]) -> str | None:
    """The server-side label selector that narrows a child watch to objects of the enabled kinds.

    Pods and services carry `operator-name` (common.md §6.4, mpi.md §6); MPI's ConfigMap, Secret, launcher
    Job and Service carry only `app` (mpi.md §6), so those watches select on its presence and the index drops
    objects without a job owner; HPAs and PodGroups carry no label of ours and are filtered by owner only.
    """
    kinds = list(kinds)
    mpi_like = any(ChildResource.BATCH_JOB in k.children for k in kinds)
    if child is ChildResource.SERVICE and mpi_like:
        return None  # v1 services carry operator-name, MPI's only `app`: one selector cannot say both
    if child in (ChildResource.POD, ChildResource.SERVICE):
        names = sorted({k.controller_name for k in kinds})
        return f"{labels.OPERATOR_NAME} in ({','.join(names)})"
    if child in (ChildResource.CONFIG_MAP, ChildResource.SECRET, ChildResource.BATCH_JOB):
        return labels.APP
    return None


_VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch", "WATCH": "watch"}


def request_target(method: str, path: str) -> tuple[str, str]:
    """The Kubernetes verb and resource of a request (`GET /api/v1/namespaces/a/pods` → `list`, `pods`;
    `PATCH …/pytorchjobs/j/status` → `patch`, `pytorchjobs/status`), as the API server's audit names them;
    a path outside the resource API keeps its path as the resource (`get`, `/version`). `WATCH` is how the
    client names a GET with `watch=true`."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    if parts[0] == "api" and len(parts) >= 3:
        rest = parts[2:]
    elif parts[0] == "apis" and len(parts) >= 4:
        rest = parts[3:]
    else:
        return _VERBS.get(method, method.lower()), "/" + "/".join(parts)
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    named = len(rest) >= 2
    resource = f"{rest[0]}/{rest[2]}" if len(rest) >= 3 else rest[0]
    if method == "GET":
        return ("get" if named else "list"), resource
    if method == "DELETE":
        return ("delete" if named else "deletecollection"), resource
    return _VERBS.get(method, method.lower()), resource
