"""Start-up checks against the API server, before anything is watched: fail fast and clearly.

A real cluster refuses in three ways a user must hear about at once rather than through retries forever:
credentials it does not accept (401), a user that may not read the job kinds or the pods (403), and a
Kubernetes older than our CRDs need. Each ends the process with one line naming the user the server saw,
what it may not do and what to check. Features the operator can run without (HPA for elastic PyTorchJobs,
PodGroups for gang scheduling, PriorityClasses) are checked too: without permission each is one warning
and is switched off.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass

from training_operator.core.errors import TrainingOperatorError
from training_operator.core.framework import ChildResource, KindInfo
from training_operator.core.kube import resources
from training_operator.core.kube.client import ApiClient, ApiError

log = logging.getLogger(__name__)

#: CRD validation rules (x-kubernetes-validations, the schedulingPolicy.queue transition rule) are on by
#: default from 1.25; autoscaling/v2 HPAs from 1.23. See docs/operations.md "Supported Kubernetes versions".
MINIMUM_VERSION = (1, 25)
OPTIONAL = {
    ChildResource.HPA: "HorizontalPodAutoscalers for elastic PyTorchJobs",
    ChildResource.VOLCANO_POD_GROUP: "gang scheduling (volcano PodGroups)",
    ChildResource.SCHEDULER_PLUGINS_POD_GROUP: "gang scheduling (scheduler-plugins PodGroups)",
}
_USER = re.compile(r'User "([^"]*)"')


class Refused(TrainingOperatorError):
    """The server will not let the operator work: the message is the one line to print."""


@dataclass(frozen=True, slots=True)
class Target:
    """Something listed at start: a path and how to name it in a message (`pytorchjobs.kubeflow.org`)."""

    path: str
    name: str


def parse_version(info: dict[str, object]) -> tuple[int, int] | None:
    """(major, minor) of a /version answer; managed offerings write minors like "27+"."""
    try:
        major = int(re.sub(r"\D", "", str(info.get("major", ""))))
        minor = int(re.sub(r"\D", "", str(info.get("minor", ""))))
    except ValueError:
        found = re.match(r"v?(\d+)\.(\d+)", str(info.get("gitVersion", "")))
        return (int(found.group(1)), int(found.group(2))) if found else None
    return major, minor


async def check_version(client: ApiClient) -> None:
    """Refuse a server older than MINIMUM_VERSION (an unreadable version is let through)."""
    try:
        info = await client.request("GET", "/version")
    except ApiError as error:
        raise _refusal(client, error, "get /version") from None
    found = parse_version(info)
    if found is not None and found < MINIMUM_VERSION:
        need = ".".join(map(str, MINIMUM_VERSION))
        raise Refused(
            f"the API server runs Kubernetes {info.get('gitVersion') or '.'.join(map(str, found))}; "
            f"training-operator needs {need} or newer (CRD validation rules): upgrade the cluster"
        )


async def check_access(client: ApiClient, targets: Iterable[Target]) -> None:
    """List each target once; a 401 or 403 becomes the one-line refusal (a 404: CRD not installed yet)."""
    for target in targets:
        try:
            await client.request("GET", target.path, params={"limit": "1"})
        except ApiError as error:
            if error.status in (401, 403):
                raise _refusal(client, error, f"list {target.name}") from None


async def forbidden_features(
    client: ApiClient, wanted: Iterable[ChildResource], *, namespace: str | None
) -> set[ChildResource]:
    """The optional child resources this user may not list: each is logged once and left out."""
    off = set()
    for child in wanted:
        if child not in OPTIONAL:
            continue
        resource = resources.CHILDREN[child]
        try:
            await client.request("GET", resource.path(namespace), params={"limit": "1"})
        except ApiError as error:
            if error.status != 403:
                continue
            log.warning("%s is off: %s", OPTIONAL[child], _refusal(client, error, f"list {_named(resource)}"))
            off.add(child)
    return off


def job_targets(kinds: Iterable[KindInfo], *, namespace: str | None) -> list[Target]:
    """The job kinds, then the children every job needs (pods, services): without them nothing works."""
    scope = f"/namespaces/{namespace}" if namespace else ""
    found = [
        Target(f"/apis/{kind.group}/{kind.version}{scope}/{kind.plural}", f"{kind.plural}.{kind.group}")
        for kind in kinds
    ]
    for child in (ChildResource.POD, ChildResource.SERVICE):
        resource = resources.CHILDREN[child]
        found.append(Target(resource.path(namespace), _named(resource)))
    return found


def _named(resource: resources.Resource) -> str:
    group = resource.api_version.rpartition("/")[0]
    return f"{resource.plural}.{group}" if group else resource.plural


def _refusal(client: ApiClient, error: ApiError, action: str) -> Refused:
    hint = _hint(client.access.who)
    if error.status == 401:
        if client.access.who.startswith("the service account"):
            hint = "check that the pod mounts a valid service account token"
        return Refused(f"the API server rejected the credentials of {client.access.who} (401): {hint}")
    seen = _USER.search(error.message)
    if seen is None:
        return Refused(f"{client.access.who} may not {action} ({error}): {hint}")
    return Refused(f'User "{seen.group(1)}" cannot {action}: {hint}')


def _hint(who: str) -> str:
    if who.startswith("the service account"):
        return "check the ClusterRoleBinding of the operator's service account (manifests/base/rbac)"
    return "check the kubeconfig's user"
