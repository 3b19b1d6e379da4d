"""training-operator-core: what every framework package and the operator build on.

The public surface is re-exported here; everything else is reachable through its module but may change
between minor versions. Names load on first use (PEP 562), so importing one submodule (the CLI, the
credential loader) does not build every pydantic model.
"""

import typing as _typing

from training_operator.core.__about__ import __version__

if _typing.TYPE_CHECKING:
    from training_operator.core.api.common import (
        CleanPodPolicy,
        ObjectMeta,
        ReplicaSpec,
        RestartPolicy,
        RunPolicy,
        SchedulingPolicy,
    )
    from training_operator.core.api.job import JobModel, JobSpec
    from training_operator.core.api.problems import FieldProblem, ProblemKind
    from training_operator.core.api.status import ConditionType, JobCondition, JobStatus, ReplicaStatus
    from training_operator.core.api.wire import WireModel
    from training_operator.core.engine.draft import ReplicaCounts, StatusDraft
    from training_operator.core.engine.observed import (
        ContainerRecord,
        ObjectRecord,
        PodConditionRecord,
        PodRecord,
        ServiceRecord,
        Snapshot,
    )
    from training_operator.core.engine.plan import Create, Delete, Event, MetricIncrement, Plan, Update
    from training_operator.core.engine.replicated import ReplicatedFramework
    from training_operator.core.errors import (
        FrameworkLoadError,
        InvalidJob,
        ReconcileError,
        TrainingOperatorError,
        UnknownScheme,
    )
    from training_operator.core.framework import ChildResource, EngineOptions, Framework, KindInfo, ReplicaRef
    from training_operator.core.rendering import Rendered, render

_HOMES = {
    "ChildResource": "training_operator.core.framework",
    "CleanPodPolicy": "training_operator.core.api.common",
    "ConditionType": "training_operator.core.api.status",
    "ContainerRecord": "training_operator.core.engine.observed",
    "Create": "training_operator.core.engine.plan",
    "Delete": "training_operator.core.engine.plan",
    "EngineOptions": "training_operator.core.framework",
    "Event": "training_operator.core.engine.plan",
    "FieldProblem": "training_operator.core.api.problems",
    "Framework": "training_operator.core.framework",
    "FrameworkLoadError": "training_operator.core.errors",
    "InvalidJob": "training_operator.core.errors",
    "JobCondition": "training_operator.core.api.status",
    "JobModel": "training_operator.core.api.job",
    "JobSpec": "training_operator.core.api.job",
    "JobStatus": "training_operator.core.api.status",
    "KindInfo": "training_operator.core.framework",
    "MetricIncrement": "training_operator.core.engine.plan",
    "ObjectMeta": "training_operator.core.api.common",
    "ObjectRecord": "training_operator.core.engine.observed",
    "Plan": "training_operator.core.engine.plan",
    "PodConditionRecord": "training_operator.core.engine.observed",
    "PodRecord": "training_operator.core.engine.observed",
    "ProblemKind": "training_operator.core.api.problems",
    "ReconcileError": "training_operator.core.errors",
    "Rendered": "training_operator.core.rendering",
    "ReplicaCounts": "training_operator.core.engine.draft",
    "ReplicaRef": "training_operator.core.framework",
    "ReplicaSpec": "training_operator.core.api.common",
    "ReplicaStatus": "training_operator.core.api.status",
    "ReplicatedFramework": "training_operator.core.engine.replicated",
    "RestartPolicy": "training_operator.core.api.common",
    "RunPolicy": "training_operator.core.api.common",
    "SchedulingPolicy": "training_operator.core.api.common",
    "ServiceRecord": "training_operator.core.engine.observed",
    "Snapshot": "training_operator.core.engine.observed",
    "StatusDraft": "training_operator.core.engine.draft",
    "TrainingOperatorError": "training_operator.core.errors",
    "UnknownScheme": "training_operator.core.errors",
    "Update": "training_operator.core.engine.plan",
    "WireModel": "training_operator.core.api.wire",
    "render": "training_operator.core.rendering",
}


def __getattr__(name: str) -> _typing.Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "ChildResource",
    "CleanPodPolicy",
    "ConditionType",
    "ContainerRecord",
    "Create",
    "Delete",
    "EngineOptions",
    "Event",
    "FieldProblem",
    "Framework",
    "FrameworkLoadError",
    "InvalidJob",
    "JobCondition",
    "JobModel",
    "JobSpec",
    "JobStatus",
    "KindInfo",
    "MetricIncrement",
    "ObjectMeta",
    "ObjectRecord",
    "Plan",
    "PodConditionRecord",
    "PodRecord",
    "ProblemKind",
    "ReconcileError",
    "Rendered",
    "ReplicaCounts",
    "ReplicaRef",
    "ReplicaSpec",
    "ReplicaStatus",
    "ReplicatedFramework",
    "RestartPolicy",
    "RunPolicy",
    "SchedulingPolicy",
    "ServiceRecord",
    "Snapshot",
    "StatusDraft",
    "TrainingOperatorError",
    "UnknownScheme",
    "Update",
    "WireModel",
    "__version__",
    "render",
]
