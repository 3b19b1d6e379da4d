"""MXJob's own validation rules, with upstream's texts (frameworks.md §3.4).

Upstream (v1.7.0) checks these inside the reconcile, emits a Warning event and retries forever without ever
telling the user through the job. We run the same checks at admission, like every other kind's webhook, so a
bad MXJob is rejected when it is submitted (docs/differences/mxnet.md). Each problem carries upstream's
message as its detail and the field path it is about; all problems are reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from training_operator.core.api.problems import FieldProblem, ProblemKind, dns1035_label_problems
from training_operator.core.engine.replicated import container_shape_problems
from training_operator.mxnet.api import MXJob

SPEC_NOT_VALID: Final = "MXJobSpec is not valid"


def name_problems(name: str) -> list[FieldProblem]:
    """A DNS-1035 job name, reported as `MXJob name is invalid: [<messages, space-separated>]`."""
    messages = dns1035_label_problems(name)
    if not messages:
        return []
    detail = f"MXJob name is invalid: [{' '.join(messages)}]"
    return [FieldProblem("metadata.name", ProblemKind.INVALID, detail, name)]


def spec_problems(job: MXJob, *, map_key: str, default_container: str) -> list[FieldProblem]:
    """Replica map present; every replica with containers, images and one container named `mxnet`."""
    if job.spec.mx_replica_specs is None:
        return [FieldProblem(f"spec.{map_key}", ProblemKind.REQUIRED, SPEC_NOT_VALID)]
    found: list[FieldProblem] = []
    for replica_type, spec in job.spec.mx_replica_specs.items():
        path = f"spec.{map_key}[{replica_type}]"
        if spec is None:
            found.append(FieldProblem(path, ProblemKind.REQUIRED, SPEC_NOT_VALID))
            continue
        found += _container_problems(spec.template, f"{path}.template.spec", default_container)
    return found


def _container_problems(template: Mapping[str, Any], path: str, default_container: str) -> list[FieldProblem]:
    if shape := container_shape_problems(template, path):
        return shape  # wrong JSON types: reported by path, before anything below reads them
    containers = (template.get("spec") or {}).get("containers") or []
    if not containers:
        return [FieldProblem(f"{path}.containers", ProblemKind.REQUIRED, SPEC_NOT_VALID)]
    found = [
        FieldProblem(f"{path}.containers[{i}].image", ProblemKind.REQUIRED, SPEC_NOT_VALID)
        for i, container in enumerate(containers)
        if not (container or {}).get("image")
    ]
    if not any((container or {}).get("name") == default_container for container in containers):
        found.append(FieldProblem(f"{path}.containers", ProblemKind.REQUIRED, SPEC_NOT_VALID))
    return found
