"""The streaming methods of both clients: watches of jobs, conditions and pods, and logs that follow a job.

Each is written once, as a plan that hands values out (`steps.Emit`); `TrainingClient` turns it into an
iterator, `AsyncTrainingClient` into an async iterator. Every watch is a `watcher.Watcher`, so all of them
survive bookmarks, 410 Gone and dropped streams the same way.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from training_operator.core import labels
from training_operator.core.api.job import JobModel
from training_operator.core.api.status import JobCondition
from training_operator.unified.sdk import calls, errors, following, jobs, kinds, watcher, watching
from training_operator.unified.sdk.scope import DEFAULT_TIMEOUT, Scope
from training_operator.unified.sdk.steps import Emit, Ended, Line, Next, Open, SendAll, Stream


class JobEvent(NamedTuple):
    """One change to a watched job: `type` is ADDED, MODIFIED or DELETED."""

    type: str
    job: JobModel


@dataclass(frozen=True, slots=True)
class PodEvent:
    """A job's pod appeared, changed phase, restarts or readiness, a container of it started or ended, or
    the pod went away (`type` DELETED)."""

    type: str
    name: str
    phase: str
    replica_type: str | None
    replica_index: int | None
    restarts: int
    ready: bool
    pod: dict[str, Any]
    #: (container, `waiting`|`running`|`terminated`) for each container the pod reports on, in its order
    containers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, event_type: str, pod: dict[str, Any]) -> PodEvent:
        """The event for a pod body from the watch."""
        meta, status = pod.get("metadata") or {}, pod.get("status") or {}
        found = meta.get("labels") or {}
        statuses = status.get("containerStatuses") or []
        index = found.get(labels.REPLICA_INDEX)
        return cls(
            type=event_type,
            name=str(meta.get("name", "")),
            phase=str(status.get("phase") or "Pending"),
            replica_type=found.get(labels.REPLICA_TYPE) or found.get(labels.JOB_ROLE),
            replica_index=int(str(index)) if str(index).isdigit() else None,
            restarts=sum(int(s.get("restartCount") or 0) for s in statuses),
            ready=bool(statuses) and all(s.get("ready") for s in statuses),
            pod=pod,
            containers=tuple(
                (str(s.get("name", "")), next(iter(s.get("state") or {}), "")) for s in statuses
            ),
        )


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a pod's log; `str()` gives it prefixed as `kubectl logs --prefix` does, if asked.
    `restarts`: which instance of the container wrote it (0 its first run, 1 after one restart, ...)."""

    pod: str
    container: str | None
    text: str
    prefix: bool = True
    restarts: int = 0

    def __str__(self) -> str:
        if not self.prefix:
            return self.text
        return (
            f"[pod/{self.pod}/{self.container}] {self.text}"
            if self.container
            else f"[pod/{self.pod}] {self.text}"
        )


class StreamOperations(Scope):
    """Watch jobs, their conditions and pods; follow their logs."""

    def watch_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        label_selector: str | None = None,
        resource_version: str | None = None,
        all_namespaces: bool = False,
        timeout_seconds: float | None = None,
    ) -> Stream[JobEvent]:
        """Every change to the jobs of one kind, as `(type, job)`, until the caller stops (or
        `timeout_seconds` pass). Without `resource_version`, existing jobs come first as ADDED.

        Bookmarks, the server ending the watch, dropped connections (retried with back-off) and 410 Gone
        (a relist, reporting what changed meanwhile) are handled here: the caller sees each change once.
        """
        ref = self.kind(job_kind)
        scope = None if all_namespaces else self.namespace(namespace)
        what = calls.list_jobs(ref, scope).what
        jobs_ = watcher.Watcher(
            "jobs",
            path=calls.job_path(ref, scope),
            what=what,
            label_selector=label_selector,
            resource_version=resource_version,
            timeout=DEFAULT_TIMEOUT,
        )
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        changes: list[watcher.Change] | None = yield from jobs_.start()
        while True:
            for change in changes or ():
                yield Emit(JobEvent(change.type, jobs.parse_job(change.body)))
            if deadline is not None and time.monotonic() >= deadline:
                return
            changes = yield from watcher.dispatch([jobs_], (yield Next(watcher.patience([jobs_], deadline))))

    def stream_conditions(
        self, name: str, namespace: str | None = None, job_kind: str | None = None
    ) -> Stream[JobCondition]:
        """Each condition transition of the job once (by type, status and transition time), in order,
        ending after Succeeded or Failed. JobNotFound when the job does not exist or is deleted."""
        ref, ns = self.kind(job_kind), self.namespace(namespace)
        job = _one_job(ref, ns, name)
        transitions = watching.Transitions()
        changes: list[watcher.Change] | None = yield from job.start()
        while True:
            for change in changes or ():
                version = _version_of(job, change)
                for condition in transitions.new(version):
                    yield Emit(condition)
                if watching.finished(version):
                    return
            changes = yield from watcher.dispatch([job], (yield Next(watcher.patience([job]))))

    def watch_job_pods(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout_seconds: float | None = None,
    ) -> Stream[PodEvent]:
        """The job's pods as they appear, change phase, restart, become ready, start or end a container, or
        go away, until the caller stops (or `timeout_seconds` pass); modifications that change none of these
        are left out."""
        ref, ns = self.kind(job_kind), self.namespace(namespace)
        pods = _job_pods(ref, ns, name, jobs.pod_selector(ref, name))
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        shown: dict[str, tuple[str, int, bool, tuple[tuple[str, str], ...]]] = {}
        changes: list[watcher.Change] | None = yield from pods.start()
        while True:
            for change in changes or ():
                event = PodEvent.of(change.type, change.body)
                mark = (event.phase, event.restarts, event.ready, event.containers)
                if change.type == "DELETED" or shown.get(event.name) != mark:
                    shown[event.name] = mark
                    yield Emit(event)
            if deadline is not None and time.monotonic() >= deadline:
                return
            changes = yield from watcher.dispatch([pods], (yield Next(watcher.patience([pods], deadline))))

    def stream_logs(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        replicas: Collection[str] | None = None,
        replica_index: int | None = None,
        follow: bool = True,
        prefix: bool = True,
        container: str | None = None,
        is_master: bool = False,
        all_containers: bool = False,
    ) -> Stream[LogLine]:
        """The logs of the job's pods (of the `replicas` types only, in any case, when given), line by line
        as they are written, all pods at once.

        With `follow` (the default) it also reads pods that start later and containers that restart (each
        instance once, `line.restarts` saying which; one that ended before it was seen is read as the
        previous log), and ends when the job has finished and every log has been read to its end; without,
        it reads what the started pods have logged so far. `str(line)` is `[pod/<pod>/<container>] text`
        (`prefix=False`: the text alone). `is_master` selects the master-role pods only (MPIJob: the
        launcher), as Kubeflow's get_job_logs does by default; `all_containers` reads every container of
        each pod, not only the kind's main one (`kubectl logs --all-containers`).
        """
        ref, ns = self.kind(job_kind), self.namespace(namespace)
        selector = jobs.pod_selector(
            ref, name, is_master=is_master, replica_types=replicas, replica_index=replica_index
        )
        follower = following.LogFollower(ref, ns, container, all_containers=all_containers)
        if not follow:
            yield from _read_once(follower, _job_pods(ref, ns, name, selector), prefix)
            return
        job, pods = _one_job(ref, ns, name), _job_pods(ref, ns, name, selector)
        changes: list[watcher.Change] | None = (yield from job.start()) + (yield from pods.start())
        finished = False
        while True:
            for change in changes or ():
                if change.source != job.key:
                    yield from _pod_changed(follower, change)
                elif not finished and watching.finished(_version_of(job, change)):
                    finished = True
                    pods.version = None  # read every pod once more: none that ended unseen is missed
                    for late in (yield from pods.start()):
                        yield from _pod_changed(follower, late)
            if finished and follower.idle:
                return
            arrival = yield Next(watcher.patience([job, pods]))
            changes = yield from watcher.dispatch([job, pods], arrival)
            if changes is None:
                yield from _log_arrival(follower, arrival, prefix)


def _pod_changed(follower: following.LogFollower, change: watcher.Change) -> Stream[LogLine]:
    """A pod appeared or changed: start reading its log if a new container instance started."""
    if change.type == "DELETED":
        follower.gone(change.body)
        return
    for instance, call in follower.seen(change.body):
        yield Open(instance, call)


def _log_arrival(
    follower: following.LogFollower, arrival: Line | Ended | None, prefix: bool
) -> Stream[LogLine]:
    """A line of a log (handed out), or its end (the pod's next instance opened, if it already started)."""
    if isinstance(arrival, Line) and isinstance(instance := arrival.key, following.Instance):
        yield Emit(LogLine(instance.pod, instance.container, arrival.text, prefix, instance.restarts))
    elif isinstance(arrival, Ended) and isinstance(instance := arrival.key, following.Instance):
        error = arrival.error
        if error is not None and error.status not in (None, 400, 404) and not watcher.transient(error):
            raise error  # forbidden, say: no later instance would be readable either (404: the pod went)
        for later, call in follower.ended(instance, complete=error is None):
            yield Open(later, call)


def _read_once(follower: following.LogFollower, pods: watcher.Watcher, prefix: bool) -> Stream[LogLine]:
    """Every started pod's log so far, read at once, handed out pod by pod."""
    listed = yield from pods.start()
    found = [(instance, c.body) for c in listed for instance in follower.current(c.body)]
    calls_ = tuple(
        calls.pod_log(follower.ref, follower.namespace, body, instance.container) for instance, body in found
    )
    texts = yield SendAll(calls_, DEFAULT_TIMEOUT)
    for (instance, _), text in zip(found, texts, strict=True):
        for line in str(text).splitlines():
            yield Emit(LogLine(instance.pod, instance.container, line, prefix, instance.restarts))


def _one_job(ref: kinds.KindRef, namespace: str, name: str) -> watcher.Watcher:
    what = f"{ref.kind} {namespace}/{name}"
    return watcher.Watcher(
        "job", path=calls.job_path(ref, namespace), what=what, name=name, timeout=DEFAULT_TIMEOUT
    )


def _job_pods(ref: kinds.KindRef, namespace: str, name: str, selector: str) -> watcher.Watcher:
    what = f"pods of {ref.kind} {namespace}/{name}"
    return watcher.Watcher(
        "pods",
        path=calls.core_path(namespace, "pods"),
        what=what,
        label_selector=selector,
        timeout=DEFAULT_TIMEOUT,
    )


def _version_of(job: watcher.Watcher, change: watcher.Change) -> JobModel:
    """The job a change carries; JobNotFound when it was deleted."""
    if change.type == "DELETED":
        raise errors.JobNotFound(f"{job.what} was deleted")
    return jobs.parse_job(change.body)
