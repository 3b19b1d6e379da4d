"""Every API request the SDK makes, as data, and how its answer is read: the part both clients share.

The sync client (urllib3) and the async one (aiohttp) differ only in how bytes move. Which path, query, body
and content type a method sends, and what a status code or a watch line means, is decided here once, without
I/O, so the twins cannot drift apart and the rules are testable without a server [httpx: I/O-free models].
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from training_operator.unified import __about__
from training_operator.unified.sdk import builders, errors, jobs, kinds, podoutput

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"  # Kubeflow's update_job: maps merge, lists are replaced (A.4)
APPLY_PATCH = "application/apply-patch+yaml"  # server-side apply (JSON is YAML)
#: LIST page size, client-go's reflector default: a relist of many jobs never parses them all at once
PAGE_SIZE = 500
#: Kueue's LocalQueue, which Kubeflow's create_job(queue_name=) looks up first (1.9.x)
LOCAL_QUEUES = "/apis/kueue.x-k8s.io/v1beta1/namespaces/{namespace}/localqueues/{name}"
#: names us in the server's audit log and, as its product name, as the field manager of our plain writes
USER_AGENT = f"training-operator/{__about__.__version__}"


@dataclass(frozen=True, slots=True)
class Call:
    """One API request: what to send, and `what` it concerns, for error messages."""

    method: str
    path: str
    what: str
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    content_type: str = JSON
    #: a request on a whole resource: there a 404 means the CRD is missing, not the job (errors.from_response)
    collection: bool = False

    def query(self) -> dict[str, str]:
        """Query parameters as the API server spells them: no unset ones, booleans in lower case."""
        return {
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in self.params.items()
            if v is not None
        }

    def target(self) -> str:
        """Path and query string, relative to the server's base URL."""
        query = self.query()
        return self.path + (f"?{urlencode(query)}" if query else "")

    def data(self) -> bytes | None:
        """The body on the wire."""
        return None if self.body is None else json.dumps(self.body).encode()

    def headers(self) -> dict[str, str]:
        """Headers besides credentials."""
        return {"Content-Type": self.content_type, "Accept": JSON, "User-Agent": USER_AGENT}


# --- building -----------------------------------------------------------------------------------------------


def job_path(ref: kinds.KindRef, namespace: str | None, name: str | None = None) -> str:
    """The REST path of a job collection (namespace None: every namespace), or of one job."""
    scope = f"/namespaces/{namespace}" if namespace is not None else ""
    base = f"/apis/{ref.group}/{ref.version}{scope}/{ref.plural}"
    return f"{base}/{name}" if name else base


def core_path(namespace: str, resource: str) -> str:
    """The REST path of a core/v1 resource (`pods`, `pods/<name>/log`, `events`)."""
    return f"/api/v1/namespaces/{namespace}/{resource}"


def create_job(ref: kinds.KindRef, namespace: str, body: Mapping[str, Any], *, strict: bool = True) -> Call:
    """POST the job into the namespace that its body also names (a server refuses them differing); strict:
    the server refuses unknown fields too (`fieldValidation=Strict`, kubectl's default) instead of pruning."""
    name = (body.get("metadata") or {}).get("name")
    what = f"{ref.kind} {namespace}/{name}"
    return Call("POST", job_path(ref, namespace), what, params=validation(strict), body=body, collection=True)


def validation(strict: bool) -> dict[str, str | None]:
    """The query parameter of a write: `fieldValidation=Strict` makes the server refuse unknown fields (as
    kubectl does) instead of pruning them; not strict leaves the server's own default."""
    return {"fieldValidation": "Strict" if strict else None}


def get_job(ref: kinds.KindRef, namespace: str, name: str) -> Call:
    """GET one job."""
    return Call("GET", job_path(ref, namespace, name), f"{ref.kind} {namespace}/{name}")


def list_jobs(ref: kinds.KindRef, namespace: str | None, label_selector: str | None = None) -> Call:
    """GET every job of a kind in the namespace (None: in every namespace)."""
    what = f"{ref.kind} in {namespace if namespace is not None else 'all namespaces'}"
    params = {"labelSelector": label_selector}
    return Call("GET", job_path(ref, namespace), what, params=params, collection=True)


def apply_job(
    ref: kinds.KindRef,
    namespace: str,
    body: Mapping[str, Any],
    *,
    field_manager: str,
    force: bool,
    strict: bool = True,
) -> Call:
    """Server-side apply: the server merges the fields this manager sets and owns them from now on;
    `force` takes over fields another manager owns instead of failing with a conflict."""
    name = body["metadata"]["name"]
    what = f"{ref.kind} {namespace}/{name}"
    params = {"fieldManager": field_manager, "force": True if force else None, **validation(strict)}
    return Call(
        "PATCH", job_path(ref, namespace, name), what, params=params, body=body, content_type=APPLY_PATCH
    )


def get_local_queue(namespace: str, name: str) -> Call:
    """GET a Kueue LocalQueue (a 404 on it may also mean Kueue is not installed)."""
    path = LOCAL_QUEUES.format(namespace=namespace, name=name)
    return Call("GET", path, f"LocalQueue {namespace}/{name}")


def list_page(
    path: str, what: str, selectors: Mapping[str, str | None], *, continue_from: str | None = None
) -> Call:
    """One page of a LIST (selectors are `labelSelector`/`fieldSelector`)."""
    params = {**selectors, "limit": PAGE_SIZE, "continue": continue_from}
    return Call("GET", path, what, params=params, collection=True)


def watch(
    path: str, what: str, selectors: Mapping[str, str | None], *, resource_version: str, seconds: int
) -> Call:
    """One watch request from `resource_version`, with bookmarks, which the server ends after `seconds`."""
    params = {
        **selectors,
        "watch": True,
        "resourceVersion": resource_version or None,
        "allowWatchBookmarks": True,
        "timeoutSeconds": seconds,
    }
    return Call("GET", path, what, params=params, collection=True)


def update_job(ref: kinds.KindRef, namespace: str, body: Mapping[str, Any], *, strict: bool = True) -> Call:
    """Merge-patch the whole job, as Kubeflow's update_job does (strict: as `create_job`)."""
    name = body["metadata"]["name"]
    what = f"{ref.kind} {namespace}/{name}"
    path = job_path(ref, namespace, name)
    return Call("PATCH", path, what, params=validation(strict), body=body, content_type=MERGE_PATCH)


def delete_job(ref: kinds.KindRef, namespace: str, name: str, options: Any = None) -> Call:
    """DELETE one job; `options` is a DeleteOptions mapping or kubernetes client object."""
    body = builders.to_wire(options)
    return Call("DELETE", job_path(ref, namespace, name), f"{ref.kind} {namespace}/{name}", body=body)


def patch_run_policy(ref: kinds.KindRef, namespace: str, name: str, **run_policy: Any) -> Call:
    """Merge-patch fields of `spec.runPolicy` alone (suspend/resume), leaving the rest of the job as it is."""
    body = {"spec": {"runPolicy": run_policy}}
    what = f"{ref.kind} {namespace}/{name}"
    return Call("PATCH", job_path(ref, namespace, name), what, body=body, content_type=MERGE_PATCH)


def get_crd(ref: kinds.KindRef) -> Call:
    """GET the kind's CustomResourceDefinition (cluster-scoped; reading it needs RBAC on CRDs)."""
    name = f"{ref.plural}.{ref.group}"
    return Call("GET", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}", f"CRD {name}")


def served_versions(crd: Mapping[str, Any]) -> list[str]:
    """The versions a CRD serves, in its own order."""
    return [str(v.get("name")) for v in (crd.get("spec") or {}).get("versions") or [] if v.get("served")]


def list_pods(
    ref: kinds.KindRef,
    namespace: str,
    name: str,
    is_master: bool = False,
    replica_type: str | None = None,
    replica_index: int | None = None,
) -> Call:
    """GET the job's pods by Kubeflow's label selector (role, type and index narrow it)."""
    selector = jobs.pod_selector(
        ref, name, is_master=is_master, replica_type=replica_type, replica_index=replica_index
    )
    what = f"pods of {ref.kind} {namespace}/{name}"
    return Call("GET", core_path(namespace, "pods"), what, params={"labelSelector": selector})


def list_events(namespace: str, kind: str, name: str) -> Call:
    """GET one object's events, filtered by the server (Kubeflow lists the whole namespace)."""
    params = {"fieldSelector": podoutput.events_selector(kind, name)}
    return Call("GET", core_path(namespace, "events"), f"events of {kind} {namespace}/{name}", params=params)


def job_and_pod_events(
    ref: kinds.KindRef, namespace: str, name: str, pods: Sequence[Mapping[str, Any]]
) -> list[Call]:
    """The event lists `get_job_logs(verbose=True)` reads: the job's, then each selected pod's."""
    pod_names = [pod["metadata"]["name"] for pod in pods]
    return [list_events(namespace, ref.kind, name), *(list_events(namespace, "Pod", p) for p in pod_names)]


def pod_log(
    ref: kinds.KindRef,
    namespace: str,
    pod: Mapping[str, Any],
    container: str | None,
    *,
    follow: bool = False,
    previous: bool = False,
) -> Call:
    """GET one container's log (the kind's main one by default); `follow` streams it until it ends,
    `previous` reads the container's instance before its last restart instead (the kubelet keeps one)."""
    name = pod["metadata"]["name"]
    params = {
        "container": jobs.log_container(ref, pod, container),
        "follow": True if follow else None,
        "previous": True if previous else None,
    }
    return Call(
        "GET", core_path(namespace, f"pods/{name}/log"), f"log of pod {namespace}/{name}", params=params
    )


# --- reading ------------------------------------------------------------------------------------------------


def answer(call: Call, status: int, content_type: str | None, data: bytes) -> Any:
    """The decoded answer: JSON as Python data, anything else (logs) as text; a failure's typed error."""
    if status >= 400:
        raise errors.from_response(status, data, what=call.what, collection=call.collection)
    if (content_type or "").split(";")[0].strip() == JSON:
        return json.loads(data or b"{}")
    return data.decode("utf-8", errors="replace")


def failure(call: Call, status: int, data: bytes) -> errors.TrainingError:
    """The typed error for a streamed request the server refused."""
    return errors.from_response(status, data, what=call.what, collection=call.collection)


def unreachable(call: Call, error: Exception | str, *, proxy: str | None = None) -> errors.TrainingError:
    """The error for a request that never got an answer (`proxy`: the proxy it went through, if any)."""
    through = f" through the proxy {proxy}" if proxy else ""
    return errors.TrainingError(f"{call.what}: cannot reach the API server{through}: {error}")


def too_slow(call: Call, timeout: float | None) -> errors.Timeout:
    """The error for a request the server did not answer in time."""
    within = f" in {timeout:g}s" if timeout else " in time"
    return errors.Timeout(f"{call.what}: the API server did not answer{within}")
