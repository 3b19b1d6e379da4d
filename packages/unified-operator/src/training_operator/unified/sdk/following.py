"""Which pods' logs `stream_logs` reads next: every container instance once, as the pod watch reveals them.

`kubectl logs -f` follows the pods that exist when it starts and stops when their containers do. A training
job outlives its pods: a replica restarts in place (restartPolicy OnFailure/Always: a new container
instance, counted by `restartCount`), is recreated under the same name (ExitCode, whole-job restart: a new
uid), or appears late (elastic scale-up, a slow scheduler). So each (pod uid, restart count) is one log to
read, opened as soon as its container has started (running or terminated) and read to its end. Pure: the
plan in `streams` does the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from training_operator.unified.sdk import calls, jobs, kinds


@dataclass(frozen=True, slots=True)
class Instance:
    """One container instance of one pod: what one followed log request reads."""

    pod: str
    uid: str
    restarts: int
    container: str | None


class LogFollower:
    """The container instances read, being read, and to read."""

    def __init__(self, ref: kinds.KindRef, namespace: str, container: str | None) -> None:
        self.ref, self.namespace, self.container = ref, namespace, container
        self.done: set[tuple[str, int]] = set()  # (uid, restarts) read to the end
        self.reading: dict[Instance, calls.Call] = {}
        self.latest: dict[str, Mapping[str, Any]] = {}  # uid → the pod as last seen

    @property
    def idle(self) -> bool:
        """No log is being read."""
        return not self.reading

    def gone(self, pod: Mapping[str, Any]) -> None:
        """A pod was deleted: a log being read ends by itself."""
        self.latest.pop(str((pod.get("metadata") or {}).get("uid", "")), None)

    def seen(self, pod: Mapping[str, Any]) -> list[tuple[Instance, calls.Call]]:
        """A pod as the watch (or a list) shows it now: the log to start reading, if any."""
        self.latest[str((pod.get("metadata") or {}).get("uid", ""))] = pod
        instance = self.instance(pod)
        if instance is None or (instance.uid, instance.restarts) in self.done:
            return []
        if any(i.uid == instance.uid for i in self.reading):
            return []  # its previous instance is still being read: it ends when that container does
        call = calls.pod_log(self.ref, self.namespace, pod, self.container, follow=True)
        self.reading[instance] = call
        return [(instance, call)]

    def ended(self, instance: Instance, *, complete: bool) -> list[tuple[Instance, calls.Call]]:
        """A log stopped: the pod's next instance to read, if it has already started.

        `complete` when it was read to its end; otherwise it is tried again when the pod next changes (its
        container was not readable after all), never at once, so a lasting refusal cannot spin.
        """
        self.reading.pop(instance, None)
        if not complete:
            return []
        self.done.add((instance.uid, instance.restarts))
        latest = self.latest.get(instance.uid)
        return [] if latest is None else self.seen(latest)

    def instance(self, pod: Mapping[str, Any]) -> Instance | None:
        """The pod's current instance of the followed container, once it has started; else None."""
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp") and not jobs.loggable(pod):
            return None
        container = jobs.log_container(self.ref, pod, self.container)
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        status = next((s for s in statuses if container in (None, s.get("name"))), None)
        if status is None:  # no container statuses (yet): go by the pod's phase, as Kubeflow does
            restarts = 0
            if not jobs.loggable(pod):
                return None
        else:
            restarts = int(status.get("restartCount") or 0)
            state = status.get("state") or {}
            if not (state.get("running") or state.get("terminated")):
                return None  # waiting: not started, or between restarts
        return Instance(str(meta.get("name")), str(meta.get("uid", "")), restarts, container)
