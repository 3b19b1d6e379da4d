"""Pure rules the sync and async clients share: reading job bodies, conditions, pod selectors, wait verdicts.

Kept free of I/O so both clients (and the CLI) decide the same way and the rules are tested without a server.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from training_operator.core import labels, strict
from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.core.errors import InvalidJob
from training_operator.unified.sdk import builders, errors, kinds, manifests

#: condition types `expected_conditions` may name (Kubeflow's JOB_CONDITIONS)
CONDITION_TYPES = frozenset(
    {ConditionType.CREATED, ConditionType.RUNNING, ConditionType.RESTARTING, ConditionType.SUCCEEDED}
    | {ConditionType.FAILED}
)
TRUE = "True"


class Verdict(enum.Enum):
    """Where a wait stands after seeing one version of the job."""

    WAITING = "waiting"
    REACHED = "reached"
    FAILED = "failed"


class AnyJobSpec(JobSpec):
    """The spec of a kind without its framework package: the replica map is found by its key suffix."""

    def replica_specs(self) -> dict[str, ReplicaSpec | None]:
        """The `<x>ReplicaSpecs` map, typed, whatever the kind."""
        for key, value in (self.model_extra or {}).items():
            if key.endswith("ReplicaSpecs") and isinstance(value, dict):
                return {t: None if s is None else ReplicaSpec.model_validate(s) for t, s in value.items()}
        return {}


class AnyJob(JobModel):
    """A job read without its kind's model: metadata, status and replica specs typed, the rest verbatim."""

    spec: AnyJobSpec = AnyJobSpec()


def parse_job(body: Mapping[str, Any]) -> JobModel:
    """A typed job from a server answer: the kind's own model when installed, else core's generic one.

    Reading is lenient on purpose: a job the kind's model cannot validate (a newer server, a field we never
    saw) still comes back as the generic model rather than failing the read, unlike Kubeflow's SDK (A.3).
    """
    model: type[JobModel] | None = None
    try:
        model = kinds.for_body(body).model
    except ValueError:
        model = None
    if model is not None:
        try:
            return model.model_validate(dict(body))
        except ValidationError:
            pass
    return AnyJob.model_validate(dict(body))


def job_body(job: Any) -> dict[str, Any]:
    """A JSON object for a job given as our model, a dict, a YAML file path or a Kubeflow SDK model."""
    if isinstance(job, JobModel):
        return job.body()
    if isinstance(job, Mapping):
        return dict(job)
    if isinstance(job, str | Path):
        documents = manifests.load_file(Path(job))
        if len(documents) != 1:
            raise ValueError(f"{job}: expected one job, found {len(documents)} documents")
        return documents[0].body
    if hasattr(job, "openapi_types"):  # a kubeflow.training / kubernetes client model object
        return dict(builders.to_wire(job))
    raise TypeError(f"cannot send {type(job).__name__} as a job: pass a model, a dict or a YAML path")


def prepared(
    body: Mapping[str, Any],
    *,
    namespace: str | None,
    default_namespace: str | None,
    labels_: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> tuple[kinds.KindRef, str, dict[str, Any]]:
    """Kind, namespace and body to send, path and body agreeing on the namespace (Kubeflow's differ, A.9-13).

    An explicit `namespace` argument wins, then the manifest's own, then the client's default.
    """
    ref = kinds.for_body(body)
    metadata = dict(body.get("metadata") or {})
    if not metadata.get("name") and not metadata.get("generateName"):
        raise ValueError(f"{ref.kind} has no metadata.name")
    target = namespace or metadata.get("namespace") or default_namespace
    if not target:
        raise ValueError(f"{ref.kind} {metadata.get('name')}: no namespace given and none in the manifest")
    metadata["namespace"] = target
    for key, extra in (("labels", labels_), ("annotations", annotations)):
        if extra:
            metadata[key] = {**(metadata.get(key) or {}), **extra}
    return ref, target, {**body, "apiVersion": ref.api_version, "metadata": metadata}


class ClientDefaults(Protocol):
    """What a client falls back to when a call names no namespace or kind, and whether it is strict."""

    namespace: str
    job_kind: str
    strict: bool


def creation(
    job: Any,
    name: str | None,
    namespace: str | None,
    labels_: Mapping[str, str] | None,
    annotations: Mapping[str, str] | None,
    job_kind: str | None,
    builder_args: Mapping[str, Any],
    *,
    defaults: ClientDefaults,
) -> tuple[kinds.KindRef, str, dict[str, Any]]:
    """Kind, namespace and body of a create_job call: a complete `job` (object mode), or one built from
    `train_func=` or `base_image=` (Kubeflow's function and image modes), with A.5's ValueError rules."""
    builder = builders.Builder(**builder_args)
    builder.check_volumes()
    if builder.queue_name and builder.queue_name.strip():  # Kueue picks the job up by this label
        labels_ = {**(labels_ or {}), builders.QUEUE_LABEL: builder.queue_name}
    if job is not None:
        if extra := builder.set_beside_a_job():
            raise ValueError(
                f"create_job: with job= only namespace, labels and annotations may be set, not {extra}"
            )
        body = job_body(job)
    elif builder.builds:
        ref = kinds.resolve(job_kind or defaults.job_kind)
        target = namespace or defaults.namespace
        body = builders.build(
            ref, builder, name=name, namespace=target, labels=labels_, annotations=annotations
        )
    else:
        raise ValueError(
            "create_job needs job= (a model, a dict or a YAML file path), train_func= or base_image="
        )
    if name:
        body["metadata"] = {**(body.get("metadata") or {}), "name": name}
    ref, ns, body = prepared(
        body,
        namespace=namespace,
        default_namespace=defaults.namespace,
        labels_=labels_,
        annotations=annotations,
    )
    check_kind(ref, job_kind)
    if defaults.strict:
        checked(ref, body)
    return ref, ns, body


def checked(ref: kinds.KindRef, body: Mapping[str, Any]) -> None:
    """What the kind's CRD schema refuses, refused before sending when its framework is installed: unknown
    fields (kubectl's strict field validation) and wrong types or out-of-bound numbers (`core.api.limits`)."""
    if ref.framework is None:
        return
    name = (body.get("metadata") or {}).get("name")
    try:
        strict.check(body, ref.framework)
        ref.framework.parse(body)
    except InvalidJob as error:
        causes = [(problem.path, problem.render()) for problem in error.problems]
        raise errors.InvalidSpec(f"invalid: {ref.kind} {name}: {error}", causes=causes) from None


def updating(
    job: Any, name: str | None, namespace: str | None, default_namespace: str, job_kind: str | None
) -> tuple[kinds.KindRef, str, dict[str, Any]]:
    """Kind, namespace and body of an update_job call; `name` renames the job's own (Kubeflow's signature)."""
    body = job_body(job)
    if name:
        body["metadata"] = {**(body.get("metadata") or {}), "name": name}
    ref, ns, body = prepared(body, namespace=namespace, default_namespace=default_namespace)
    check_kind(ref, job_kind)
    return ref, ns, body


def required_name(name: str | None) -> str:
    """The name a lookup needs when no job object was passed (Kubeflow's get_job_conditions rule)."""
    if not name:
        raise ValueError("pass name= or job=")
    return name


def check_kind(ref: kinds.KindRef, job_kind: str | None) -> None:
    """A `job_kind` argument must agree with the kind the job itself declares."""
    if job_kind and kinds.resolve(job_kind).kind != ref.kind:
        raise ValueError(f"job_kind {job_kind!r} does not match the job's kind {ref.kind!r}")


def is_true(found: list[JobCondition], condition_type: str) -> bool:
    """Kubeflow's `is_job_*` rule on an already fetched condition list."""
    return any(c.type == condition_type and c.status == TRUE for c in found)


def conditions(job: JobModel) -> list[JobCondition]:
    """The job's conditions in server order; empty when it has no status yet."""
    return list((job.status.conditions if job.status else None) or [])


def has_condition(job: JobModel, condition_type: str) -> bool:
    """Kubeflow's rule: some condition of that type has status exactly "True" (its position is irrelevant)."""
    return any(c.type == condition_type and c.status == TRUE for c in conditions(job))


def state(job: JobModel) -> str:
    """The last condition's type, as the CRDs' State printer column shows it."""
    found = conditions(job)
    return found[-1].type if found else ""


def check_expected(expected: Collection[str]) -> frozenset[str]:
    """The expected condition types, refused when one is not a job condition (Kubeflow raises ValueError)."""
    wanted = frozenset(expected)
    if not wanted or not wanted <= CONDITION_TYPES:
        raise ValueError(f"expected conditions {sorted(wanted)} must be among {sorted(CONDITION_TYPES)}")
    return wanted


def verdict(job: JobModel, expected: frozenset[str]) -> Verdict:
    """Failed ends a wait at once unless it was expected; otherwise any expected true condition ends it."""
    if ConditionType.FAILED not in expected and has_condition(job, ConditionType.FAILED):
        return Verdict.FAILED
    if any(has_condition(job, t) for t in expected):
        return Verdict.REACHED
    return Verdict.WAITING


def describe_conditions(job: JobModel | None) -> list[str]:
    """`Type=Status` for each condition, for timeout messages and progress lines."""
    return [f"{c.type}={c.status}" for c in conditions(job)] if job else []


def pod_selector(
    ref: kinds.KindRef,
    name: str,
    *,
    is_master: bool = False,
    replica_type: str | None = None,
    replica_index: int | None = None,
) -> str:
    """The label selector for a job's pods, in Kubeflow's order (job-name, role, type, index)."""
    terms = [f"{labels.JOB_NAME}={name}"]
    if is_master:
        terms.append(f"{labels.JOB_ROLE}={ref.master_role}")
    if replica_type is not None:
        terms.append(f"{ref.replica_type_label}={replica_type.lower()}")
    if replica_index is not None:
        terms.append(f"{labels.REPLICA_INDEX}={int(replica_index)}")
    return ",".join(terms)


def loggable(pod: Mapping[str, Any]) -> bool:
    """Pods that have started (not Pending, with a status) have a log to read (Kubeflow skips the others)."""
    phase = (pod.get("status") or {}).get("phase")
    return bool(phase) and phase != "Pending"


def log_container(ref: kinds.KindRef, pod: Mapping[str, Any], container: str | None) -> str | None:
    """The container to read: the one asked for, else the kind's main one when the pod has it, else none."""
    if container:
        return container
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    return ref.default_container if ref.default_container in names else None
