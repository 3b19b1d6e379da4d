"""Events and messages the engine records on the job (common.md §1.7, §16).

Events whose text depends on a write's outcome (`SuccessfulCreatePod`, `FailedDeleteService`, ...) are not
here: only the adapter's writer knows the outcome, so it records them (docs/differences/engine.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from training_operator.core.engine.observed import ContainerRecord, PodRecord
from training_operator.core.engine.plan import Event

NORMAL = "Normal"
WARNING = "Warning"

SET_RESTART_POLICY = "SetPodTemplateRestartPolicy"
SET_RESTART_POLICY_MESSAGE = (
    "Restart policy in pod template will be overwritten by restart policy in replica spec"
)
SET_SCHEDULER_NAME = "SetPodTemplateSchedulerName"
SET_SCHEDULER_NAME_MESSAGE = (
    "Another scheduler is specified when gang-scheduling is enabled and it will not be overwritten"
)
EXITED_WITH_CODE = "ExitedWithCode"
JOB_TERMINATED = "JobTerminated"
JOB_TERMINATED_MESSAGE = "Job has been terminated. Deleting PodGroup"
TTL_NIL_COMPLETION = "job completion time is nil, cannot cleanup"


def reason(kind: str, what: str) -> str:
    """`<Kind><Reason>`, e.g. `TFJobRunning` (common.md §1.7)."""
    return f"{kind}{what}"


def created_message(kind: str, name: str) -> str:
    """The Created condition's message."""
    return f"{kind} {name} is created."


def suspended_message(kind: str, name: str) -> str:
    """The Suspended condition's and event's message."""
    return f"{kind} {name} is suspended."


def resumed_message(kind: str, name: str) -> str:
    """The Resumed condition's and event's message."""
    return f"{kind} {name} is resumed."


def restarting_message(name: str, replica_type: str) -> str:
    """Why the engine deleted a failed pod (§6.5)."""
    return f"job {name} is restarting because {replica_type} replica(s) failed."


def exit_code_failed_message(name: str, replica_type: str) -> str:
    """Why a permanent exit code failed the job (§6.5); the quotes are upstream's."""
    return f'job "{name}" is failing because "{replica_type}" replica(s) failed.'


def backoff_message(name: str) -> str:
    """The backoffLimit failure (§10.1)."""
    return f"Job {name} has failed because it has reached the specified backoff limit"


def deadline_message(name: str) -> str:
    """The activeDeadlineSeconds failure (§10.2)."""
    return f"Job {name} has failed because it was active longer than specified deadline"


def exited_with_code(namespace: str, pod: PodRecord, code: int) -> Event:
    """`ExitedWithCode`, recorded on every reconcile for a pod whose default container terminated."""
    return Event(NORMAL, EXITED_WITH_CODE, f"Pod: {namespace}.{pod.name} exited with code {code}")


def abnormal_pod_events(pods: Iterable[PodRecord]) -> list[Event]:
    """Warnings about active pods that are not healthy (§16.2); the adapter aggregates the repeats."""
    found: list[Event] = []
    for pod in pods:
        if pod.phase in ("Succeeded", "Failed") or pod.deleting:
            continue
        containers = pod.containers or pod.init_containers
        if containers:
            found += _container_events(pod.name, containers)
        elif pod.conditions:
            latest = max(pod.conditions, key=lambda c: c.last_transition_time)
            if latest.status != "True":
                message = f"Error pod {pod.name} condition message: {latest.message}"
                found.append(Event(WARNING, latest.reason, message))
    return found


def _container_events(pod_name: str, containers: Iterable[ContainerRecord]) -> list[Event]:
    found = []
    for c in containers:
        if c.exit_code is not None and c.exit_code != 0:
            message = (
                f"Error pod {pod_name} container {c.name} exitCode: {c.exit_code} "
                f"terminated message: {c.terminated_message}"
            )
            found.append(Event(WARNING, c.terminated_reason, message))
        if c.waiting_message:
            message = f"Error pod {pod_name} container {c.name} waiting message: {c.waiting_message}"
            found.append(Event(WARNING, c.waiting_reason, message))
    return found
