"""The plug-in contract: what one training framework adds to the generic operator.

A framework package exposes one instance of a `Framework` subclass under the `training_operator.frameworks`
entry-point group. Everything it does is pure. The engine's single door, `core.engine.planner.plan(job,
framework, observed, now=, options=)`, runs the common reconcile (Kubeflow's v1 kinds) and calls the
framework's hooks on the way; a kind with its own life cycle (MPIJob v2beta1) answers `own_plan` instead,
from core's building blocks. `core.engine.replicated.ReplicatedFramework` implements the required defaulting
and validation the v1 kinds share, so their plug-ins only add their own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import ValidationError

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem, ProblemKind, from_validation_error
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.errors import InvalidJob


class ChildResource(StrEnum):
    """Kinds of objects the operator may own; the adapter watches exactly those a framework declares."""

    POD = "pods"
    SERVICE = "services"
    CONFIG_MAP = "configmaps"
    SECRET = "secrets"
    BATCH_JOB = "jobs"
    HPA = "horizontalpodautoscalers"
    VOLCANO_POD_GROUP = "podgroups.scheduling.volcano.sh"
    SCHEDULER_PLUGINS_POD_GROUP = "podgroups.scheduling.x-k8s.io"


@dataclass(frozen=True, slots=True)
class KindInfo:
    """Identity and constants of one job kind (common.md §1.1, frameworks.md §0.3)."""

    kind: str
    plural: str
    singular: str
    replica_map_key: str
    replica_types: tuple[str, ...]
    default_container: str
    controller_name: str
    framework_label: str
    default_restart_policy: RestartPolicy
    default_port_name: str | None = None
    default_port: int | None = None
    normalised_types: tuple[str, ...] = ()
    group: str = "kubeflow.org"
    version: str = "v1"
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ("kubeflow", "all")
    scale_replica_type: str | None = None
    children: frozenset[ChildResource] = field(default=frozenset({ChildResource.POD, ChildResource.SERVICE}))

    @property
    def scheme(self) -> str:
        """The `--enable-scheme` value and entry-point name: the lower-case kind."""
        return self.kind.lower()

    @property
    def api_version(self) -> str:
        """`group/version` as written in `apiVersion`."""
        return f"{self.group}/{self.version}"


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Operator-wide settings that change what the engine plans (flags, not per-job data)."""

    gang_scheduler_name: str = ""
    cluster_domain: str = ""
    gang_retry_seconds: float = 2.0
    #: kinds of extra children the operator may not write (RBAC): planned without them, never retried
    without_kinds: frozenset[str] = frozenset()

    @property
    def gang_scheduling(self) -> str | None:
        """`volcano`, `scheduler-plugins` or None when gang scheduling is off (common.md §14.1)."""
        name = self.gang_scheduler_name
        if not name or name == "None":
            return None
        return "volcano" if name.lower() == "volcano" else "scheduler-plugins"


@dataclass(frozen=True, slots=True)
class ReplicaRef:
    """One pod slot of a job: canonical replica type (`Worker`) and index."""

    replica_type: str
    index: int

    @property
    def rt(self) -> str:
        """The lower-case replica type used in names and labels (`worker`)."""
        return self.replica_type.lower()


@dataclass(frozen=True, slots=True)
class Flag:
    """One command-line flag of `training-operator run` that a plug-in owns (it exists only when the plug-in
    is installed). The operator parses it and hands the value to `Framework.configured` under `dest`."""

    #: the flag as typed, `--pytorch-init-container-image`
    name: str
    default: str | int | float | None
    help: str = ""
    #: converts the command-line text (`int` for counts)
    type: Callable[[str], Any] = str
    #: the value names a file: the plug-in gets the file's text instead, None when it cannot be read
    file: bool = False

    @property
    def dest(self) -> str:
        """The key of this flag's value: `pytorch_init_container_image`."""
        return self.name.lstrip("-").replace("-", "_")


class Framework(ABC):
    """What one training framework adds to the generic operator: the one plug-in contract.

    Required: `kind` and `model` (class attributes), `default` and `problems`. Everything else is an optional
    hook with a harmless default; the engine (`core.engine.planner.plan`) calls the hooks, and no hook ever
    calls back into the engine. Every method is pure: no I/O, no clock, no randomness.
    """

    #: identity and constants of the kind this framework serves
    kind: ClassVar[KindInfo]
    #: the pydantic model of a whole job of this kind (used for parsing and CRD generation)
    model: ClassVar[type[JobModel]]
    #: reject replica types outside `kind.replica_types` at admission (PyTorch, XGBoost; not TF, not MXNet)
    restrict_replica_types: ClassVar[bool] = False
    #: write `replicaStatuses[*].selector` for the scale subresource (PyTorch)
    writes_selector: ClassVar[bool] = False

    # --- required ------------------------------------------------------------------------------------

    @abstractmethod
    def default(self, job: JobModel) -> JobModel:
        """The job with every in-memory default applied (never written back to the API server)."""

    @abstractmethod
    def problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """Admission rules on the raw (not defaulted) job; `old` is set on updates."""

    # --- optional hooks ------------------------------------------------------------------------------

    def parse(self, body: Mapping[str, Any]) -> JobModel:
        """A typed job; every schema problem is reported with its wire path (`InvalidJob`)."""
        if body.get("kind") not in (None, self.kind.kind):
            allowed = (self.kind.kind,)
            raise InvalidJob(
                [FieldProblem("kind", ProblemKind.UNSUPPORTED, value=body.get("kind"), allowed=allowed)]
            )
        try:
            return self.model.model_validate(dict(body))
        except ValidationError as error:
            raise InvalidJob(from_validation_error(error)) from None

    def admission_warnings(self, job: JobModel) -> Sequence[str]:
        """Warnings the admission webhook returns with its answer (accepted or not): deprecated fields."""
        return ()

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Whether this pod gets `training.kubeflow.org/job-role=master`."""
        return False

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """The framework's additions to one pod (env, config, init containers); `pod` is a private deep copy.

        Raise `ReconcileError` when the pod cannot be built (for example a port that is not declared).
        """
        return pod

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """The framework's Running / Succeeded / Failed / Restarting rule (common.md §9); default: none."""
        return None

    def extra_children(
        self, job: JobModel, observed: Snapshot, *, options: EngineOptions
    ) -> Sequence[Mapping[str, Any]]:
        """Objects besides pods and services this job should have right now (PyTorch's HPA)."""
        return ()

    def wants_key_pair(self, job: JobModel, observed: Snapshot) -> bool:
        """Whether this reconcile needs fresh SSH key material (MPIJob without a usable Secret): the adapter
        then generates a pair and passes it in `observed.key_pair`, so planning itself draws no randomness."""
        return False

    def flags(self) -> Sequence[Flag]:
        """The command-line flags this plug-in owns (PyTorch's `--pytorch-init-container-*`)."""
        return ()

    def configured(self, values: Mapping[str, Any]) -> Framework:
        """This framework with its flags' values (`Flag.dest` → value, file flags as text); self by default.
        Called once at start-up, so a plan depends only on the framework, the job and what was observed."""
        return self

    def own_plan(
        self, job: JobModel, observed: Snapshot, *, now: datetime, options: EngineOptions
    ) -> Plan | None:
        """A whole plan for a kind whose life cycle is not the common engine's (MPIJob v2beta1), built from
        core's building blocks; None (the default) runs the common engine with the hooks above."""
        return None
