"""training-operator-core: what every framework package and the operator build on.

The public surface is re-exported here; everything else is reachable through its module but may change
between minor versions.
"""

from training_operator.core.__about__ import __version__
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
from training_operator.core.engine.replicated import ReplicaRef, ReplicatedFramework
from training_operator.core.errors import (
    FrameworkLoadError,
    InvalidJob,
    ReconcileError,
    TrainingOperatorError,
    UnknownScheme,
)
from training_operator.core.framework import ChildResource, EngineOptions, Framework, KindInfo

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
]
