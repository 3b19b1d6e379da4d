"""The required half of the contract for Kubeflow's v1 kinds (TF, PyTorch, MXNet, XGBoost), written once.

The common defaults (common.md §2) and the common admission rules (common.md §3) live here; a framework
subclass supplies its `KindInfo` and model, optionally its own defaults (`default_extras`) and rules
(`kind_problems`), and the contract's hooks (`core.framework.Framework`) that the engine calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training_operator.core.api import limits
from training_operator.core.api.common import (
    ALLOWED_MANAGED_BY,
    QUEUE_IMMUTABLE,
    CleanPodPolicy,
    ReplicaSpec,
    RunPolicy,
)
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import (
    DNS1035_LABEL_MAX,
    FieldProblem,
    ProblemKind,
    job_name_problems,
)
from training_operator.core.engine.json_copy import json_copy
from training_operator.core.framework import Framework, KindInfo


class ReplicatedFramework(Framework):
    """A v1 kind: the common defaults and admission rules; subclasses add `default_extras`/`kind_problems`
    and the contract's hooks (`is_master_role`, `replica_pod`, `update_status`, ...)."""

    # --- defaulting and validation -------------------------------------------------------------------

    def default(self, job: JobModel) -> JobModel:
        """Common defaults (common.md §2.2) then the kind's own; applied to a copy, never written back."""
        run_policy = job.run_policy
        if job.spec.run_policy is None or run_policy.clean_pod_policy is None:
            job = job.with_run_policy(run_policy.model_copy(update={"clean_pod_policy": CleanPodPolicy.NONE}))
        specs = _normalised_keys(job.replica_specs(), self.kind.normalised_types)
        specs = {key: self._default_replica(spec) for key, spec in specs.items()}
        job = job.with_spec(job.spec.with_replica_specs(specs))
        return self.default_extras(job)

    def _default_replica(self, spec: ReplicaSpec | None) -> ReplicaSpec | None:
        if spec is None:
            return None
        update: dict[str, Any] = {}
        if spec.replicas is None:
            update["replicas"] = 1
        if not spec.restart_policy:
            update["restart_policy"] = self.kind.default_restart_policy
        template = _with_default_port(spec.template, self.kind)
        if template is not spec.template:
            update["template"] = template
        return spec.model_copy(update=update) if update else spec

    def problems(self, job: JobModel, *, old: JobModel | None = None) -> list[FieldProblem]:
        """Every admission rule (common.md §3) on the raw job, plus the kind's own."""
        found = job_name_problems(job.name)
        found += managed_by_problems(job.run_policy, None if old is None else old.run_policy)
        found += self._replica_problems(job)
        found += self.derived_name_problems(job)
        found += list(self.kind_problems(job, old=old))
        return found

    def _replica_problems(self, job: JobModel) -> list[FieldProblem]:
        key = self.kind.replica_map_key
        specs = job.replica_specs()
        if getattr(job.spec, type(job.spec).replica_map_field, None) is None:
            return [FieldProblem(f"spec.{key}", ProblemKind.REQUIRED, "must be required")]
        found = _case_duplicate_problems(specs, key)
        for replica_type, spec in specs.items():
            path = f"spec.{key}[{replica_type}]"
            if self.restrict_replica_types and replica_type not in self.kind.replica_types:
                allowed = self.kind.replica_types
                found.append(FieldProblem(path, ProblemKind.UNSUPPORTED, value=replica_type, allowed=allowed))
            if spec is None:
                found.append(FieldProblem(path, ProblemKind.REQUIRED, "must be specified"))
                continue
            found += container_problems(spec.template, f"{path}.template.spec", self.kind.default_container)
        return found + limits.replica_problems(specs, key)  # ours: upstream bounds nothing

    def derived_name_problems(self, job: JobModel) -> list[FieldProblem]:
        """Reject a name whose pod/service names would exceed 63 characters.

        A deliberate fix: upstream admits such jobs and then retries `FailedCreateService` forever
        (docs/differences-from-kubeflow.md).
        """
        longest = ""
        for replica_type, spec in job.replica_specs().items():
            count = 1 if spec is None or spec.replicas is None else spec.replicas
            candidate = f"{job.name}-{replica_type.lower()}-{max(count - 1, 0)}"
            longest = max(longest, candidate, key=len)
        if len(longest) <= DNS1035_LABEL_MAX:
            return []
        room = len(job.name) - (len(longest) - DNS1035_LABEL_MAX)
        detail = (
            f"derived pod and service name {longest!r} must be no more than {DNS1035_LABEL_MAX} characters; "
            f"shorten the job name to at most {max(room, 1)} characters"
        )
        return [FieldProblem("metadata.name", ProblemKind.INVALID, detail, job.name)]

    # --- the kind's own defaults and rules -----------------------------------------------------------

    def default_extras(self, job: JobModel) -> JobModel:
        """The kind's own defaults (TF successPolicy, PyTorch elastic/nproc, ...)."""
        return job

    def kind_problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """The kind's own admission rules (common.md §3.3)."""
        return ()


def managed_by_problems(new: RunPolicy, old: RunPolicy | None) -> list[FieldProblem]:
    """V2 (allowed values) and V3 (immutable on update) for `spec.runPolicy.managedBy`, and V8."""
    path = "spec.runPolicy.managedBy"
    found = []
    if new.managed_by is not None and new.managed_by not in ALLOWED_MANAGED_BY:
        allowed = ALLOWED_MANAGED_BY
        found.append(FieldProblem(path, ProblemKind.UNSUPPORTED, value=new.managed_by, allowed=allowed))
    if old is not None and old.managed_by != new.managed_by:
        found.append(FieldProblem(path, ProblemKind.INVALID, "field is immutable", new.managed_by))
    return found + queue_problems(new, old)


def queue_problems(new: RunPolicy, old: RunPolicy | None) -> list[FieldProblem]:
    """V8: the CRDs' transition rule on `schedulingPolicy.queue`, also in the webhook for servers that
    skip CRD validation rules. It fires only when both values exist and differ (common.md §3.2)."""
    before = old.scheduling_policy.queue if old is not None and old.scheduling_policy else None
    after = new.scheduling_policy.queue if new.scheduling_policy else None
    if before is None or after is None or before == after:
        return []
    path = "spec.runPolicy.schedulingPolicy.queue"
    return [FieldProblem(path, ProblemKind.INVALID, QUEUE_IMMUTABLE, after)]


def container_shape_problems(template: Mapping[str, Any], path: str) -> list[FieldProblem]:
    """Containers and their ports of the wrong JSON type. Templates are carried verbatim (STYLE §5), so every
    kind's validation must report these as field problems before anything reads the template and crashes."""
    containers = (template.get("spec") or {}).get("containers") or []
    if not isinstance(containers, list):
        return [FieldProblem(f"{path}.containers", ProblemKind.INVALID, "must be a list", containers)]
    if bad := [i for i, c in enumerate(containers) if not isinstance(c, Mapping)]:
        where = f"{path}.containers"
        return [FieldProblem(f"{where}[{i}]", ProblemKind.INVALID, "must be an object") for i in bad]
    found = []
    for i, container in enumerate(containers):
        ports = (container or {}).get("ports") or []
        if not isinstance(ports, list) or not all(isinstance(port, Mapping) for port in ports):
            detail = "must be a list of objects"
            found.append(FieldProblem(f"{path}.containers[{i}].ports", ProblemKind.INVALID, detail, ports))
    return found


def container_problems(template: Mapping[str, Any], path: str, default_container: str) -> list[FieldProblem]:
    """V5–V7: containers present, each with an image, one named after the kind's default container."""
    spec = template.get("spec") or {}
    containers = spec.get("containers") or []
    found = container_shape_problems(template, path)
    if not isinstance(containers, list) or any(not isinstance(c, Mapping) for c in containers):
        return found
    if not containers:
        found.append(FieldProblem(f"{path}.containers", ProblemKind.REQUIRED, "must be specified"))
    for i, container in enumerate(containers):
        if not (container or {}).get("image"):
            image_path = f"{path}.containers[{i}].image"
            found.append(FieldProblem(image_path, ProblemKind.REQUIRED, "must be required"))
    if not any((c or {}).get("name") == default_container for c in containers):
        detail = f"must have at least one container with name {default_container}"
        found.append(FieldProblem(f"{path}.containers", ProblemKind.REQUIRED, detail))
    return found


def _case_duplicate_problems(specs: Mapping[str, Any], key: str) -> list[FieldProblem]:
    """Two keys that differ only in case would silently overwrite each other when normalised: reject."""
    seen: dict[str, str] = {}
    found = []
    for replica_type in specs:
        first = seen.setdefault(replica_type.lower(), replica_type)
        if first != replica_type:
            detail = f"replica type {replica_type!r} differs from {first!r} only in case; keep one of them"
            path = f"spec.{key}[{replica_type}]"
            found.append(FieldProblem(path, ProblemKind.DUPLICATE, detail, replica_type))
    return found


def _normalised_keys(
    specs: Mapping[str, ReplicaSpec | None], canonical: Sequence[str]
) -> dict[str, ReplicaSpec | None]:
    """Move `worker`/`WORKER` to `Worker` (common.md §2.2 step 2): at most one key per canonical type."""
    result = dict(specs)
    for name in canonical:
        if name in result:
            continue
        match = next((k for k in result if k.lower() == name.lower()), None)
        if match is not None:
            result[name] = result.pop(match)
    return result


def _with_default_port(template: Mapping[str, Any], kind: KindInfo) -> dict[str, Any]:
    """Append the kind's default port to its target container unless one has that name (§2.2 step 4)."""
    if kind.default_port_name is None or kind.default_port is None:
        return dict(template)
    containers = (template.get("spec") or {}).get("containers") or []
    malformed = not isinstance(containers, list) or not all(isinstance(c, Mapping) for c in containers)
    if malformed or not containers:
        return dict(template)  # container_problems rejects a malformed list; defaulting must not crash first
    target = next((i for i, c in enumerate(containers) if c.get("name") == kind.default_container), 0)
    ports = containers[target].get("ports") or []
    if not isinstance(ports, list) or not all(isinstance(p, Mapping) for p in ports):
        return dict(template)
    if any(p.get("name") == kind.default_port_name for p in ports):
        return dict(template)
    patched = json_copy(dict(template))
    container = patched["spec"]["containers"][target]
    container["ports"] = [*ports, {"name": kind.default_port_name, "containerPort": kind.default_port}]
    return patched


def case_duplicate_problems(specs: Mapping[str, Any], key: str) -> list[FieldProblem]:
    """The case-duplicate rule for kinds that replace `problems` with their own texts (MXJob)."""
    return _case_duplicate_problems(specs, key)
