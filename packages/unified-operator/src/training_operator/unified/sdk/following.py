"""Which pods' logs `stream_logs` reads next: every container instance once, as the pod watch reveals them.

`kubectl logs -f` follows the pods that exist when it starts and stops when their containers do. A training
job outlives its pods: a replica restarts in place (restartPolicy OnFailure/Always: a new container
instance, counted by `restartCount`), is recreated under the same name (ExitCode, whole-job restart: a new
uid), or appears late (elastic scale-up, a slow scheduler). So each (pod uid, restart count) is one log to
read, opened as soon as its container has started (running or terminated) and read to its end. An
instance that started and ended between two looks (a container that fails at once and restarts) is read as
the container's previous log, before its next instance. With `all_containers` every container of a pod is
followed so, not only the kind's main one. Pure: the plan in `streams` does the I/O.
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
    #: read as the container's previous log: this instance ended and the container has started again since
    previous: bool = False

    @property
    def key(self) -> tuple[str, str | None, int]:
        """The instance itself, however it is read."""
        return (self.uid, self.container, self.restarts)


class LogFollower:
    """The container instances read, being read, and to read."""

    def __init__(
        self, ref: kinds.KindRef, namespace: str, container: str | None, *, all_containers: bool = False
    ) -> None:
        self.ref, self.namespace, self.container = ref, namespace, container
        self.all_containers = all_containers
        self.opened: set[tuple[str, str | None, int]] = set()  # instances ever opened
        self.done: set[tuple[str, str | None, int]] = set()  # instances read to the end
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
        """A pod as the watch (or a list) shows it now: the logs to start reading, if any."""
        self.latest[str((pod.get("metadata") or {}).get("uid", ""))] = pod
        found = []
        for instance in self._unread(pod):
            if any(i.uid == instance.uid and i.container == instance.container for i in self.reading):
                continue  # its previous instance is still being read: it ends when that container does
            call = calls.pod_log(
                self.ref,
                self.namespace,
                pod,
                instance.container,
                follow=not instance.previous,
                previous=instance.previous,
            )
            self.reading[instance] = call
            self.opened.add(instance.key)
            found.append((instance, call))
        return found

    def ended(self, instance: Instance, *, complete: bool) -> list[tuple[Instance, calls.Call]]:
        """A log stopped: the pod's next instance to read, if it has already started.

        `complete` when it was read to its end; otherwise it is tried again when the pod next changes (its
        container was not readable after all), never at once, so a lasting refusal cannot spin. A previous
        log is read once, whole or not: the kubelet keeps it only until the next restart.
        """
        self.reading.pop(instance, None)
        if not complete and not instance.previous:
            return []
        self.done.add(instance.key)
        latest = self.latest.get(instance.uid)
        return [] if latest is None else self.seen(latest)

    def current(self, pod: Mapping[str, Any]) -> list[Instance]:
        """The pod's current instance of each followed container that has started."""
        return self._started(pod, previous=False)

    def _unread(self, pod: Mapping[str, Any]) -> list[Instance]:
        """Each followed container's oldest unread instance: an unseen previous one, else the current."""
        return [instance for instance in self._started(pod, previous=True) if instance.key not in self.done]

    def _started(self, pod: Mapping[str, Any], *, previous: bool) -> list[Instance]:
        meta = pod.get("metadata") or {}
        if meta.get("deletionTimestamp") and not jobs.loggable(pod):
            return []
        name, uid = str(meta.get("name")), str(meta.get("uid", ""))
        statuses = (pod.get("status") or {}).get("containerStatuses") or []
        found = []
        for container in self._containers(pod):
            status = next((s for s in statuses if container in (None, s.get("name"))), None)
            if status is None:  # no container statuses (yet): go by the pod's phase, as Kubeflow does
                if jobs.loggable(pod):
                    found.append(Instance(name, uid, 0, container))
                continue
            restarts = int(status.get("restartCount") or 0)
            ended = Instance(name, uid, restarts - 1, container, previous=True)
            last_ended = restarts > 0 and (status.get("lastState") or {}).get("terminated")
            if previous and last_ended and ended.key not in self.opened:
                found.append(ended)  # it started and ended unseen: its log is now the previous one
                continue
            state = status.get("state") or {}
            if state.get("running") or state.get("terminated"):  # not waiting: started, not between restarts
                found.append(Instance(name, uid, restarts, container))
        return found

    def _containers(self, pod: Mapping[str, Any]) -> list[str | None]:
        if self.all_containers:
            return [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        return [jobs.log_container(self.ref, pod, self.container)]
