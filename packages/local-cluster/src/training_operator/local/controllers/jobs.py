"""The batch/v1 Job controller: pods for completions and parallelism, backoff, deadline, suspend.

Enough of upstream's controller for what the operator uses (the MPI launcher is a Job) and what users
expect from `kubectl get jobs`: pods named `<job>-<random5>` with the job-name/controller-uid labels and a
controller ownerReference, status counters, and the Complete / Failed (BackoffLimitExceeded,
DeadlineExceeded) / Suspended conditions. Indexed completion mode and pod failure policies are not
implemented.
"""

import copy
import datetime
from collections.abc import Hashable, Iterable
from typing import Any, cast

from training_operator.local import conditions, deletion, errors, events, metadata, selectors
from training_operator.local.controllers.base import Controller
from training_operator.local.registry import Registry
from training_operator.local.storage import Change

Obj = dict[str, Any]


def _finished(job: Obj) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in job.get("status", {}).get("conditions") or []
    )


def _owned_by(pod: Obj, uid: str) -> bool:
    return any(
        r.get("uid") == uid and r.get("controller") for r in pod["metadata"].get("ownerReferences") or []
    )


class JobController(Controller):
    """Keys are (namespace, job name)."""

    watched = frozenset({"batch/jobs", "/pods"})

    def __init__(self, registry: Registry, *, backoff_base: float = 10.0, backoff_cap: float = 360.0) -> None:
        super().__init__(registry)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        jobs, pods = registry.catalog.by_key("batch/jobs"), registry.catalog.by_key("/pods")
        assert jobs is not None
        assert pods is not None
        self.jobs, self.pods = jobs, pods

    def keys_for(self, change: Change) -> Iterable[Hashable]:
        meta = change.object["metadata"]
        if change.resource == "batch/jobs":
            if change.type != "DELETED":
                yield (meta["namespace"], meta["name"])
            return
        for ref in meta.get("ownerReferences") or []:
            if ref.get("kind") == "Job" and ref.get("controller"):
                yield (meta["namespace"], ref["name"])

    def initial_keys(self) -> Iterable[Hashable]:
        for job in self.registry.storage.items("batch/jobs"):
            yield (job["metadata"]["namespace"], job["metadata"]["name"])

    def _pods(self, job: Obj) -> list[Obj]:
        wanted = selectors.selector_from_match(job["spec"].get("selector"))
        uid = job["metadata"]["uid"]
        return [
            p
            for p in self.registry.storage.items("/pods", job["metadata"]["namespace"])
            if selectors.labels_match(wanted, p) and _owned_by(p, uid)
        ]

    async def _delete_pods(self, pods: list[Obj]) -> None:
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp") or pod["status"].get("phase") in (
                "Succeeded",
                "Failed",
            ):
                continue
            try:
                await deletion.delete(
                    self.registry, self.pods, pod["metadata"]["namespace"], pod["metadata"]["name"], {}
                )
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise

    async def reconcile(self, key: Hashable) -> float | None:
        namespace, name = cast(tuple[str, str], key)
        job = self.registry.find(self.jobs, namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        now = self.registry.clock()
        stamp = metadata.timestamp(now)
        spec = job["spec"]
        pods = self._pods(job)
        active = [
            p
            for p in pods
            if p["status"].get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")
        ]
        succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
        failed_pods = [p for p in pods if p["status"].get("phase") == "Failed"]
        status = copy.deepcopy(job.get("status") or {})
        status["succeeded"] = max(status.get("succeeded", 0), succeeded)
        status["failed"] = max(status.get("failed", 0), len(failed_pods))
        restarts = sum(
            c.get("restartCount", 0) for p in active for c in p["status"].get("containerStatuses") or []
        )
        if _finished(job):
            await self._delete_pods(active)
            return None
        requeue: float | None = None
        if spec.get("suspend"):
            await self._delete_pods(active)
            status["conditions"] = conditions.set_condition(
                status.get("conditions"),
                "Suspended",
                "True",
                now=stamp,
                reason="JobSuspended",
                message="Job suspended",
            )
            status.pop("startTime", None)
            active = []
        else:
            if conditions.condition_status(status.get("conditions"), "Suspended") == "True":
                status["conditions"] = conditions.set_condition(
                    status.get("conditions"),
                    "Suspended",
                    "False",
                    now=stamp,
                    reason="JobResumed",
                    message="Job resumed",
                )
            status.setdefault("startTime", stamp)
            failure = self._failure(spec, status, restarts, now)
            if failure is not None:
                await self._delete_pods(active)
                active = []
                reason, message = failure
                status["conditions"] = conditions.set_condition(
                    status.get("conditions"), "Failed", "True", now=stamp, reason=reason, message=message
                )
            elif self._complete(spec, status):
                await self._delete_pods(active)
                active = []
                status["completionTime"] = stamp
                status["conditions"] = conditions.set_condition(
                    status.get("conditions"),
                    "Complete",
                    "True",
                    now=stamp,
                    reason="CompletionsReached",
                    message="Reached expected number of succeeded pods",
                )
            else:
                requeue = await self._scale(job, status, active, len(failed_pods), now)
                active = [
                    p for p in self._pods(job) if p["status"].get("phase") not in ("Succeeded", "Failed")
                ]
                if spec.get("activeDeadlineSeconds"):
                    started = metadata.parse_timestamp(status["startTime"])
                    left = spec["activeDeadlineSeconds"] - (now - started).total_seconds()
                    requeue = min(requeue or left, left) + 0.01
        status["active"] = len([p for p in active if not p["metadata"].get("deletionTimestamp")])
        status["ready"] = sum(
            1 for p in active if conditions.condition_status(p["status"].get("conditions"), "Ready") == "True"
        )
        status["terminating"] = sum(1 for p in pods if p["metadata"].get("deletionTimestamp"))
        for counter in ("active", "succeeded", "failed", "terminating"):
            if not status.get(counter):
                status.pop(counter, None)
        if status != job.get("status"):
            current = self.registry.find(self.jobs, namespace, name)
            if current is not None:
                await self.registry.write(self.jobs, current, {**current, "status": status}, sub="status")
        return requeue

    def _failure(
        self, spec: Obj, status: Obj, restarts: int, now: datetime.datetime
    ) -> tuple[str, str] | None:
        limit = spec.get("backoffLimit", 6)
        on_failure = spec["template"]["spec"].get("restartPolicy") == "OnFailure"
        if (
            status.get("failed", 0) > limit
            or (on_failure and limit and restarts >= limit)
            or (on_failure and limit == 0 and restarts > 0)
        ):
            return "BackoffLimitExceeded", "Job has reached the specified backoff limit"
        deadline = spec.get("activeDeadlineSeconds")
        if deadline and (now - metadata.parse_timestamp(status["startTime"])).total_seconds() >= deadline:
            return "DeadlineExceeded", "Job was active longer than specified deadline"
        return None

    @staticmethod
    def _complete(spec: Obj, status: Obj) -> bool:
        completions = spec.get("completions")
        if completions is None:
            return bool(status.get("succeeded", 0) > 0)
        return bool(status.get("succeeded", 0) >= completions)

    async def _scale(
        self, job: Obj, status: Obj, active: list[Obj], failures: int, now: datetime.datetime
    ) -> float | None:
        spec = job["spec"]
        completions = spec.get("completions")
        wanted = spec.get("parallelism", 1)
        if completions is not None:
            wanted = min(wanted, completions - status.get("succeeded", 0))
        missing = wanted - len(active)
        if missing <= 0:
            return None
        if failures:
            # Upstream delays replacements of failed pods: base * 2^(failures-1), capped.
            delay = min(self.backoff_base * 2 ** (failures - 1), self.backoff_cap)
            last = (
                max(
                    (p["status"].get("containerStatuses") or [{}])[0]
                    .get("state", {})
                    .get("terminated", {})
                    .get("finishedAt", "")
                    for p in self._pods(job)
                    if p["status"].get("phase") == "Failed"
                )
                or ""
            )
            if last:
                waited = (now - metadata.parse_timestamp(last)).total_seconds()
                if waited < delay:
                    return float(delay - waited)
        for _ in range(missing):
            pod = await self.registry.create(self.pods, job["metadata"]["namespace"], self._pod_for(job))
            await events.record(
                self.registry,
                job,
                reason="SuccessfulCreate",
                component="job-controller",
                message=f"Created pod: {pod['metadata']['name']}",
            )
        return None

    @staticmethod
    def _pod_for(job: Obj) -> Obj:
        template = copy.deepcopy(job["spec"]["template"])
        meta = template.get("metadata") or {}
        name = job["metadata"]["name"]
        return {
            "metadata": {
                "generateName": f"{name}-",
                "labels": meta.get("labels") or {},
                "annotations": meta.get("annotations") or {},
                "ownerReferences": [
                    {
                        "apiVersion": "batch/v1",
                        "kind": "Job",
                        "name": name,
                        "uid": job["metadata"]["uid"],
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": template.get("spec") or {},
        }
