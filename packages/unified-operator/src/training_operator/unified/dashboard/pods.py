"""What the dashboard reads from a pod: which job it serves, a slim copy to keep, its tabs and its failures.

The dashboard keeps every training pod it can see, so it keeps only the fields the pages use (names, labels,
times, phases, container states): a full pod is about ten times larger. Pure functions of the objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.core import labels
from training_operator.unified.dashboard import timeline

#: (namespace, job name): what the operator's pod labels name, whatever the kind
JobRef = tuple[str, str]
_META = ("name", "namespace", "uid", "labels", "creationTimestamp", "deletionTimestamp")
_CONTAINER_STATUS = ("name", "state", "lastState", "restartCount")


def job_ref(pod: Mapping[str, Any]) -> JobRef | None:
    """The job a pod belongs to, from the operator's job-name label; None for other pods."""
    meta = pod.get("metadata") or {}
    job = (meta.get("labels") or {}).get(labels.JOB_NAME)
    return (str(meta.get("namespace", "")), str(job)) if job else None


def pods_key(ref: JobRef) -> str:
    """The key a hub marks when a job's pods (or what was captured of them) changed."""
    return f"pods:{ref[0]}/{ref[1]}"


def slim(pod: Mapping[str, Any]) -> dict[str, Any]:
    """The fields the pages use."""
    meta, spec, status = pod.get("metadata") or {}, pod.get("spec") or {}, pod.get("status") or {}
    statuses = {
        key: [{k: s[k] for k in _CONTAINER_STATUS if k in s} for s in status.get(key) or []]
        for key in ("initContainerStatuses", "containerStatuses")
    }
    return {
        "metadata": {k: meta[k] for k in _META if k in meta},
        "spec": {
            "containers": [{"name": c.get("name")} for c in spec.get("containers") or []],
            "restartPolicy": spec.get("restartPolicy"),
        },
        "status": {"phase": status.get("phase"), "startTime": status.get("startTime"), **statuses},
    }


def _statuses(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    return [*(status.get("initContainerStatuses") or []), *(status.get("containerStatuses") or [])]


def tabs(pods: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each pod with its containers and restarts, for the log panel's tabs, in replica order."""
    rows: list[tuple[tuple[int, str, int], dict[str, Any]]] = []
    for pod in pods:
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        containers = [str(c.get("name")) for c in (pod.get("spec") or {}).get("containers") or []]
        restarts = {str(s.get("name")): int(s.get("restartCount") or 0) for s in _statuses(pod)}
        replica = timeline.replica_of(pod)
        row = {
            "name": str(meta.get("name", "")),
            "replica": timeline.row_name(replica),
            "phase": str(status.get("phase") or timeline.PENDING),
            "containers": [{"name": c, "restarts": restarts.get(c, 0)} for c in containers],
        }
        rows.append((timeline.replica_order(replica), row))
    return [row for _, row in sorted(rows, key=lambda pair: pair[0])]


@dataclass(slots=True)
class Failure:
    """A container run that ended with a non-zero exit code, and its last lines once they were read."""

    pod: str
    uid: str
    container: str
    exit_code: int
    reason: str
    message: str
    at: float | None
    #: a newer run of the container existed when the failure was seen (it was `lastState`, and `state` was
    #: running or terminated): the failed run's log is the "previous" one
    previous: bool
    lines: list[str] | None = None

    @property
    def key(self) -> tuple[str, str, float | None]:
        """One failure is one run: the pod incarnation, the container and when it ended."""
        return self.uid, self.container, self.at

    def wire(self) -> dict[str, Any]:
        """As the job page receives it."""
        return {
            "pod": self.pod,
            "container": self.container,
            "exitCode": self.exit_code,
            "reason": self.reason,
            "message": self.message,
            "at": self.at,
            "previous": self.previous,
            "lines": self.lines,
        }


def failures(pod: Mapping[str, Any]) -> list[Failure]:
    """Every failed run the pod's container statuses show (the current one and the one before)."""
    meta = pod.get("metadata") or {}
    found = []
    for status in _statuses(pod):
        newer = bool({"running", "terminated"} & set(status.get("state") or {}))
        for key in ("state", "lastState"):
            ended = (status.get(key) or {}).get("terminated") or {}
            code = ended.get("exitCode")
            if not isinstance(code, int) or code == 0:
                continue
            found.append(
                Failure(
                    pod=str(meta.get("name", "")),
                    uid=str(meta.get("uid", "")),
                    container=str(status.get("name", "")),
                    exit_code=code,
                    reason=str(ended.get("reason") or ""),
                    message=str(ended.get("message") or ""),
                    at=timeline.stamp(ended.get("finishedAt")),
                    previous=key == "lastState" and newer,
                )
            )
    return found


#: what `failed_run_log` may answer besides a choice of log
WAIT, TOO_LATE = "wait", "too late"


def failed_run_log(failure: Failure, pod: Mapping[str, Any] | None, *, waited: bool) -> str:
    """Which log holds the failed run now: "current", "previous", WAIT or TOO_LATE.

    The API serves only a container's latest run ("current") and the one before ("previous"). The run is
    recognised by its times and exit code (not by restart counts, which kubelets update at different
    moments). While it is the latest run and the pod may still restart it (Kubernetes does so the first
    time at once), wait for the pod's next change, or until `waited`, to tell which log it will be in."""
    if pod is None:
        return "previous" if failure.previous else "current"  # deleted: the last chance, if any
    status = next((s for s in _statuses(pod) if s.get("name") == failure.container), {})
    state, last = status.get("state") or {}, status.get("lastState") or {}
    newer = "running" in state or ("terminated" in state and not _same(failure, state["terminated"]))
    if _same(failure, last.get("terminated")) and newer:
        return "previous"
    if not _same(failure, state.get("terminated")) and not _same(failure, last.get("terminated")):
        return TOO_LATE  # two or more runs since: out of reach
    phase = (pod.get("status") or {}).get("phase")
    final = (
        phase in (timeline.SUCCEEDED, timeline.FAILED)
        or (pod.get("spec") or {}).get("restartPolicy") == "Never"
    )
    return "current" if final or waited else WAIT


def _same(failure: Failure, ended: Mapping[str, Any] | None) -> bool:
    """Whether a terminated state is the failed run."""
    if not ended:
        return False
    return (
        timeline.stamp(ended.get("finishedAt")) == failure.at and ended.get("exitCode") == failure.exit_code
    )
