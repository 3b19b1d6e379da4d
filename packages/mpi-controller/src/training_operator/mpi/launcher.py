"""The launcher: a `batch/v1` Job `<name>-launcher` running the user's mpirun (mpi.md §8.5, §13.3).

A Job, not a bare Pod, so that retries (backoffLimit), deadlines and TTL are Kubernetes' job controller's
business; `podReplacementPolicy: Failed` keeps two mpiruns from overlapping while one pod is replaced.
"""

from __future__ import annotations

from typing import Any

from training_operator.core import labels
from training_operator.core.engine import owner, restart
from training_operator.core.engine.plan import Event
from training_operator.core.framework import EngineOptions
from training_operator.mpi import env, hostfile, naming, podtemplate, ssh
from training_operator.mpi.api import LAUNCHER, MPIJob

API_VERSION = "batch/v1"
KIND = "Job"
RESTART_OVERRIDDEN = Event(
    "Warning",
    "SetPodTemplateRestartPolicy",
    "Restart policy in pod template overridden by restart policy in replica spec",
)


def pod_template(job: MPIJob, *, options: EngineOptions) -> tuple[dict[str, Any], tuple[Event, ...]]:
    """The launcher's pod template, and the warning upstream emits whenever the template set restartPolicy."""
    spec = job.replica(LAUNCHER)
    assert spec is not None  # validation guarantees a Launcher entry
    template = podtemplate.pod_template(
        job,
        spec,
        role=labels.JOB_ROLE_LAUNCHER,
        hostname=naming.launcher(job),
        index=0 if job.launcher_as_worker else None,
        env=env.launcher_env(job),
        volumes=[ssh.volume(job), hostfile.volume(job)],
        options=options,
    )
    template["metadata"]["ownerReferences"] = [owner.controller_reference(job)]
    overridden = bool((spec.template.get("spec") or {}).get("restartPolicy"))
    return template, (RESTART_OVERRIDDEN,) if overridden else ()


def launcher_job(
    job: MPIJob, *, options: EngineOptions, deadline: int | None = None
) -> tuple[dict[str, Any], tuple[Event, ...]]:
    """The whole desired Job; run-policy limits are handed to the job controller verbatim, except
    `deadline`, what is left of activeDeadlineSeconds for a whole-job restart's attempt."""
    template, events = pod_template(job, options=options)
    policy = job.run_policy
    spec: dict[str, Any] = {}
    if policy.ttl_seconds_after_finished is not None:
        spec["ttlSecondsAfterFinished"] = policy.ttl_seconds_after_finished
    if deadline is None:
        deadline = policy.active_deadline_seconds
    if deadline is not None:
        spec["activeDeadlineSeconds"] = deadline
    if policy.backoff_limit is not None:
        spec["backoffLimit"] = policy.backoff_limit
    spec["podReplacementPolicy"] = "Failed"
    if job.suspended:
        spec["suspend"] = True
    spec["template"] = template
    meta = naming.metadata(job, naming.launcher(job))
    if restart.enabled(job):
        # ours: the whole job is retried, never the launcher alone, so its first failed pod fails the Job;
        # the Job carries the attempt, like its pods, so an older attempt's Job is found and deleted
        spec["backoffLimit"] = 0
        meta["labels"][labels.RESTART_ATTEMPT] = template["metadata"]["labels"][labels.RESTART_ATTEMPT]
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta, "spec": spec}, events


def resume_patch(
    job: MPIJob, existing: dict[str, Any], *, options: EngineOptions
) -> tuple[dict[str, Any], tuple[Event, ...]]:
    """The merge patch that unsuspends the Job and carries the template's current placement into it (§13.3).

    Labels and annotations are merged (desired wins); nodeSelector, tolerations and schedulingGates are
    replaced, which in a merge patch means nulling map keys the desired value no longer has.
    """
    desired, events = pod_template(job, options=options)
    current = (existing.get("spec") or {}).get("template") or {}
    current_meta, current_pod = current.get("metadata") or {}, current.get("spec") or {}
    meta = {key: desired["metadata"].get(key) or {} for key in ("labels", "annotations")}
    pod: dict[str, Any] = {}
    old_selector = current_pod.get("nodeSelector") or {}
    new_selector = desired["spec"].get("nodeSelector") or {}
    if old_selector != new_selector:
        pod["nodeSelector"] = {**dict.fromkeys(old_selector), **new_selector} if new_selector else None
    for key in ("tolerations", "schedulingGates"):
        if current_pod.get(key) != desired["spec"].get(key):
            pod[key] = desired["spec"].get(key)
    meta = {k: v for k, v in meta.items() if any(current_meta.get(k, {}).get(n) != x for n, x in v.items())}
    template: dict[str, Any] = {}
    if meta:
        template["metadata"] = meta
    if pod:
        template["spec"] = pod
    spec: dict[str, Any] = {"suspend": False}
    if template:
        spec["template"] = template
    return {"spec": spec}, events
