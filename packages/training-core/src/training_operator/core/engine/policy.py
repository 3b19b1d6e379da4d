"""Run-policy rules: restart on failure, backoffLimit, activeDeadlineSeconds, TTL and cleanPodPolicy.

Every rule reads only pods, the stored status and `now`, never operator memory, so a restarted operator
decides exactly as the one before it (common.md §6.5, §10, §11).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from training_operator.core import labels
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.core.engine import naming
from training_operator.core.engine.observed import PodRecord

#: what Go reports when the default container has no terminated state: ≥ 128, so retryable (§1.8)
MISSING_EXIT_CODE = 0xBEEF
RETRYABLE_FROM = 128
RESTARTABLE = frozenset({RestartPolicy.ALWAYS, RestartPolicy.ON_FAILURE, RestartPolicy.EXIT_CODE})


class FailedPodAction(Enum):
    """What the engine does with a pod in phase Failed (§6.5)."""

    NOTHING = "nothing"
    RESTART = "restart"
    FAIL_JOB = "fail-job"


def exit_code(pod: PodRecord, container: str) -> int:
    """The default container's exit code, or the sentinel when it has not terminated."""
    record = pod.container(container)
    if record is None or record.exit_code is None:
        return MISSING_EXIT_CODE
    return record.exit_code


def is_retryable(code: int) -> bool:
    """128 + signal (SIGINT, SIGKILL/OOM, SIGTERM ...) is retryable; 0–127 are permanent, 0 included."""
    return code >= RETRYABLE_FROM


def failed_pod_action(policy: RestartPolicy | None, pod: PodRecord, container: str) -> FailedPodAction:
    """Restart, fail the job, or leave the pod to the framework's status rule."""
    if policy in (RestartPolicy.ALWAYS, RestartPolicy.ON_FAILURE):
        return FailedPodAction.RESTART
    if policy == RestartPolicy.EXIT_CODE:
        retry = is_retryable(exit_code(pod, container))
        return FailedPodAction.RESTART if retry else FailedPodAction.FAIL_JOB
    return FailedPodAction.NOTHING


def pod_restart_policy(policy: RestartPolicy | None) -> str:
    """The pod's `spec.restartPolicy` for a replica policy: ExitCode becomes Never (§1.8)."""
    if policy is None or policy == RestartPolicy.EXIT_CODE:
        return RestartPolicy.NEVER.value
    return policy.value


@dataclass(frozen=True, slots=True)
class BackoffInput:
    """What both backoff rules read (§10.1)."""

    limit: int
    pods: Sequence[PodRecord]
    #: lower-case replica type → replica restart policy
    policies: Mapping[str, RestartPolicy | None]
    total_replicas: int
    previous_failed: int


def backoff_exceeded(data: BackoffInput) -> bool:
    """Rule A (new failures, requeues fixed at 0 as upstream) or rule B (restart counts)."""
    failed = sum(1 for p in data.pods if p.phase == "Failed")
    active = sum(1 for p in data.pods if p.phase not in ("Succeeded", "Failed") and not p.deleting)
    # upstream tests `requeues + 1 > limit`, and its work queue is a no-op, so requeues is always 0 (Q2)
    if failed > data.previous_failed and active != data.total_replicas and data.limit < 1:
        return True
    restarts = 0
    for pod in data.pods:
        policy = data.policies.get(pod.labels.get(labels.REPLICA_TYPE, ""))
        if pod.phase == "Running" and policy in RESTARTABLE:
            restarts += sum(c.restart_count for c in (*pod.init_containers, *pod.containers))
    return restarts > 0 if data.limit == 0 else restarts >= data.limit


def previous_failed(status: Mapping[str, Any]) -> int:
    """The failed pods the last persisted status counted, over every replica type."""
    statuses = status.get("replicaStatuses") or {}
    return sum(int((s or {}).get("failed") or 0) for s in statuses.values())


def seconds_to_deadline(deadline: int | None, start_time: str | None, now: datetime) -> float | None:
    """Seconds left until activeDeadlineSeconds (≤ 0 = exceeded); None when the rule does not apply."""
    if deadline is None or not start_time:
        return None
    elapsed = naming.seconds_between(naming.parse_timestamp(start_time), now)
    return deadline - elapsed


@dataclass(frozen=True, slots=True)
class TtlDecision:
    """What the TTL rule wants: delete the job now, look again later, or report an error."""

    delete_job: bool = False
    requeue_after: float | None = None
    error: str | None = None


def ttl_decision(ttl: int | None, completion_time: str | None, now: datetime) -> TtlDecision:
    """§11.2 and §4.3 for a finished, unsuspended job."""
    if ttl is None:
        return TtlDecision()
    if not completion_time:
        return TtlDecision(error="job completion time is nil, cannot cleanup")
    left = ttl - naming.seconds_between(naming.parse_timestamp(completion_time), now)
    if left <= 0:
        return TtlDecision(delete_job=True)
    return TtlDecision(requeue_after=left)


def pods_to_clean(
    pods: Iterable[PodRecord], policy: CleanPodPolicy | None, *, finished: bool
) -> list[PodRecord]:
    """The pods the cleanup deletes (§11.1); their same-named services go with them."""
    pods = list(pods)
    if finished and policy == CleanPodPolicy.NONE:
        return []
    if finished and policy == CleanPodPolicy.RUNNING:
        return [p for p in pods if p.phase in ("Running", "Pending")]
    return pods
