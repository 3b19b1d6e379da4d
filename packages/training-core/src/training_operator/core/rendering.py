"""`render`: the objects the operator would create for a new job, computed from the job alone.

The steps are those of a job's first reconcile: parse, the admission rules, the job as the API server hands
it over (namespaced, with a UID for owner references), in-memory defaults, then the plan for a job with no
children yet. What comes out is the plan's creates: the exact pods, services and extra children. This one
function backs `training-operator render` and is what a framework package offers when it is used as a
library, with nothing else installed: no cluster, no HTTP client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from training_operator.core import keys, strict
from training_operator.core.api.job import JobModel
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.errors import InvalidJob, ReconcileError
from training_operator.core.framework import EngineOptions, Framework

#: stands in for the UID the API server assigns, in owner references
PLACEHOLDER_UID = "<uid>"
#: a new job's objects do not depend on the time; it only stamps the status, which render leaves out
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A job as the operator sees it on its first reconcile, and what it creates for it."""

    #: the job with defaults applied (and the placeholders the API server would fill in)
    job: JobModel
    #: every object the operator creates, in creation order, as plain JSON data
    objects: tuple[dict[str, Any], ...]

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        """The objects of one kind (`Pod`, `Service`, `ConfigMap`, ...)."""
        return [body for body in self.objects if body.get("kind") == kind]


def render(
    framework: Framework,
    body: Mapping[str, Any],
    *,
    options: EngineOptions | None = None,
    now: datetime = EPOCH,
    strict_fields: bool = True,
) -> Rendered:
    """What the operator creates for the job `body` (a parsed YAML or JSON object).

    Raises `InvalidJob` naming every bad field (unknown fields, as kubectl's strict validation does unless
    `strict_fields` is False; the schema's and the webhook's rules), or `ReconcileError` when the job is
    valid but its children cannot be built (a pod template the framework cannot fill in).
    """
    if strict_fields:
        strict.check(body, framework)
    job = framework.parse(body)
    if found := framework.problems(job):
        raise InvalidJob(found)
    job = framework.default(as_stored(job))
    observed = Snapshot()
    if framework.wants_key_pair(job, observed):
        observed = Snapshot(key_pair=keys.ssh_key_pair())
    plan = planner.plan(job, framework, observed, now=now, options=options or EngineOptions())
    if plan.error:
        raise ReconcileError(plan.error)
    return Rendered(job=job, objects=tuple(plain(create.body) for create in plan.creates))


def as_stored(job: JobModel) -> JobModel:
    """The job as the API server would hand it over: namespaced, with a UID for owner references."""
    meta = job.metadata.model_copy(
        update={"namespace": job.metadata.namespace or "default", "uid": job.metadata.uid or PLACEHOLDER_UID}
    )
    return job.model_copy(update={"metadata": meta})


def plain(body: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-shaped data (plans may hold tuples and read-only mappings), ready for json or YAML dumping."""
    data: dict[str, Any] = json.loads(
        json.dumps(body, default=lambda value: list(value) if isinstance(value, tuple) else dict(value))
    )
    return data
