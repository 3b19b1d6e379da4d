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

from training_operator.unified.sdk import builders, errors, jobs, kinds, logs, watching

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"  # Kubeflow's update_job: maps merge, lists are replaced (A.4)


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
        return {"Content-Type": self.content_type, "Accept": JSON}


# --- building -----------------------------------------------------------------------------------------------


def job_path(ref: kinds.KindRef, namespace: str, name: str | None = None) -> str:
    """The REST path of a job collection, or of one job."""
    base = f"/apis/{ref.group}/{ref.version}/namespaces/{namespace}/{ref.plural}"
    return f"{base}/{name}" if name else base


def core_path(namespace: str, resource: str) -> str:
    """The REST path of a core/v1 resource (`pods`, `pods/<name>/log`, `events`)."""
    return f"/api/v1/namespaces/{namespace}/{resource}"


def create_job(ref: kinds.KindRef, namespace: str, body: Mapping[str, Any], *, strict: bool = True) -> Call:
    """POST the job into the namespace that its body also names (a server refuses them differing); strict:
    the server refuses unknown fields too (`fieldValidation=Strict`, kubectl's default) instead of pruning."""
    name = (body.get("metadata") or {}).get("name")
    what = f"{ref.kind} {namespace}/{name}"
    params = {"fieldValidation": "Strict" if strict else None}
    return Call("POST", job_path(ref, namespace), what, params=params, body=body, collection=True)


def get_job(ref: kinds.KindRef, namespace: str, name: str) -> Call:
    """GET one job."""
    return Call("GET", job_path(ref, namespace, name), f"{ref.kind} {namespace}/{name}")


def list_jobs(ref: kinds.KindRef, namespace: str, label_selector: str | None = None) -> Call:
    """GET every job of a kind in the namespace."""
    what = f"{ref.kind} in {namespace}"
    params = {"labelSelector": label_selector}
    return Call("GET", job_path(ref, namespace), what, params=params, collection=True)


def update_job(ref: kinds.KindRef, namespace: str, body: Mapping[str, Any]) -> Call:
    """Merge-patch the whole job, as Kubeflow's update_job does."""
    name = body["metadata"]["name"]
    what = f"{ref.kind} {namespace}/{name}"
    return Call("PATCH", job_path(ref, namespace, name), what, body=body, content_type=MERGE_PATCH)


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


def watch_job(
    ref: kinds.KindRef, namespace: str, name: str, resource_version: str | None, remaining: float
) -> Call:
    """One watch request on a single job, from the version last read, ended by the server by the deadline."""
    params = watching.watch_params(name, resource_version, remaining)
    return Call("GET", job_path(ref, namespace), f"{ref.kind} {namespace}/{name}", params=params)


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
    params = {"fieldSelector": logs.events_selector(kind, name)}
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
) -> Call:
    """GET one container's log (the kind's main one by default); `follow` streams it until it ends."""
    name = pod["metadata"]["name"]
    params = {"container": jobs.log_container(ref, pod, container), "follow": True if follow else None}
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


def watched_job(call: Call, line: bytes | str) -> dict[str, Any] | None:
    """The job version one watch line carries; None for keep-alives, bookmarks and an expired version
    (the caller re-reads); JobNotFound when the job was deleted while being watched."""
    event = watching.decode_event(line)
    if event is None or watching.gone(*event) or event[0] == "BOOKMARK":
        return None
    if event[0] == "DELETED":
        raise errors.JobNotFound(f"{call.what} was deleted while waiting")
    return dict(event[1])


def unreachable(call: Call, error: Exception) -> errors.TrainingError:
    """The error for a request that never got an answer."""
    return errors.TrainingError(f"{call.what}: cannot reach the API server: {error}")


def too_slow(call: Call, timeout: float | None) -> errors.Timeout:
    """The error for a request the server did not answer in time."""
    within = f" in {timeout:g}s" if timeout else " in time"
    return errors.Timeout(f"{call.what}: the API server did not answer{within}")
