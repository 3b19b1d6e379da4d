"""Types every job kind shares (Kubeflow `common_types.go`): replica specs, run policy, scheduling policy.

Pod templates are plain dicts carried verbatim: the operator must not drop a field of a Kubernetes version it
does not know.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import Field

from training_operator.core.api.limits import MAX_REPLICAS
from training_operator.core.api.wire import WireModel


class RestartPolicy(StrEnum):
    """What happens to a replica's failed pod (common.md §1.8)."""

    ALWAYS = "Always"
    ON_FAILURE = "OnFailure"
    NEVER = "Never"
    EXIT_CODE = "ExitCode"


class CleanPodPolicy(StrEnum):
    """Which pods to delete once a job finished (common.md §1.9); `""` behaves like All."""

    ALL = "All"
    RUNNING = "Running"
    NONE = "None"
    UNDEFINED = ""


MANAGED_BY_THIS_OPERATOR = "kubeflow.org/training-operator"
MANAGED_BY_MULTIKUEUE = "kueue.x-k8s.io/multikueue"
ALLOWED_MANAGED_BY = (MANAGED_BY_THIS_OPERATOR, MANAGED_BY_MULTIKUEUE)
#: V8's message, the same from the CRD's CEL rule and from the webhook (common.md §3.2)
QUEUE_IMMUTABLE = "spec.runPolicy.schedulingPolicy.queue is immutable"


class SchedulingPolicy(WireModel):
    """Gang-scheduling parameters handed to the PodGroup (common.md §1.4)."""

    min_available: int | None = None
    queue: str | None = None
    min_resources: dict[str, Any] | None = None
    priority_class: str | None = None
    schedule_timeout_seconds: int | None = None


class RunPolicy(WireModel):
    """Job-level lifecycle rules shared by every kind (common.md §1.3)."""

    clean_pod_policy: CleanPodPolicy | None = None
    ttl_seconds_after_finished: int | None = Field(default=None, ge=0)
    active_deadline_seconds: int | None = Field(default=None, ge=0)
    backoff_limit: int | None = Field(default=None, ge=0)
    scheduling_policy: SchedulingPolicy | None = None
    suspend: bool | None = None
    managed_by: str | None = None


class ReplicaSpec(WireModel):
    """One replica type of a job: how many pods, their template and what to do when one fails."""

    replicas: int | None = Field(default=None, ge=0, le=MAX_REPLICAS)  # bounded: core.api.limits
    template: dict[str, Any] = Field(default_factory=dict)
    restart_policy: RestartPolicy | None = None


class ObjectMeta(WireModel):
    """The job's metadata; only the fields the operator reads are typed, the rest is carried along."""

    name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    generation: int | None = None
    resource_version: str | None = None
    labels: dict[str, str] | None = None
    annotations: dict[str, str] | None = None
    deletion_timestamp: str | None = None
    creation_timestamp: str | None = None
