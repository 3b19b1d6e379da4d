"""The plug-in contract: what one training framework adds to the generic operator.

A framework package exposes one object satisfying `Framework` under the `training_operator.frameworks`
entry-point group. Everything it does is pure: the operator hands it a job and a snapshot of the job's
children and gets back a `Plan`. Kubeflow's v1 kinds share one engine (`core.engine.replicated`), so their
plug-ins subclass `ReplicatedFramework` and fill in a few hooks; a kind with its own life cycle (MPIJob
v2beta1) implements `plan` itself from core's building blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan


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
    pytorch_init_container_image: str = "alpine:3.10"
    pytorch_init_container_max_tries: int = 100
    pytorch_init_container_template: Mapping[str, Any] | None = None
    #: the text of `--pytorch-init-container-template-file` (a YAML list of containers with `{{.MasterAddr}}`,
    #: `{{.InitContainerImage}}`, `{{.MaxTries}}` placeholders), read once at start-up; None = built-in
    pytorch_init_container_template_text: str | None = None
    priority_classes: Mapping[str, int] = field(default_factory=dict)
    gang_retry_seconds: float = 2.0
    #: makes one SSH key pair `(private PEM, public OpenSSH line)` for a job that needs one (MPIJob);
    #: None means the framework's own real generator. Injected so `plan` stays pure and testable.
    key_factory: Callable[[], tuple[bytes, bytes]] | None = None
    #: kinds of extra children the operator may not write (RBAC): planned without them, never retried
    without_kinds: frozenset[str] = frozenset()

    @property
    def gang_scheduling(self) -> str | None:
        """`volcano`, `scheduler-plugins` or None when gang scheduling is off (common.md §14.1)."""
        name = self.gang_scheduler_name
        if not name or name == "None":
            return None
        return "volcano" if name.lower() == "volcano" else "scheduler-plugins"


@runtime_checkable
class Framework(Protocol):
    """What one training framework adds to the generic operator. Every method is pure."""

    @property
    def kind(self) -> KindInfo:
        """Identity and constants of the kind this framework serves."""

    @property
    def model(self) -> type[JobModel]:
        """The pydantic model of a whole job of this kind (used for parsing and CRD generation)."""

    def parse(self, body: Mapping[str, Any]) -> JobModel:
        """A typed job from a JSON object; raises `InvalidJob` naming every bad field."""

    def default(self, job: JobModel) -> JobModel:
        """The job with every in-memory default applied (never written back to the API server)."""

    def problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """Admission rules on the raw (not defaulted) job; `old` is set on updates."""

    def plan(self, job: JobModel, observed: Snapshot, *, now: datetime, options: EngineOptions) -> Plan:
        """Everything the job needs next, given what exists now."""
