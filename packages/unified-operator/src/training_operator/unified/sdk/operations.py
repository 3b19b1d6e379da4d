"""The job methods of both clients, written once: Kubeflow 1.9's `TrainingClient` signatures and ours.

Each method is a plan (see `steps`): it yields the requests it needs and returns what the client method
returns. `TrainingClient` runs it blocking, `AsyncTrainingClient` as a coroutine (`surface.py`), so the
docstrings here are the clients' own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType, JobCondition
from training_operator.unified.sdk import builders, calls, errors, jobs, watcher, watching
from training_operator.unified.sdk.scope import DEFAULT_TIMEOUT, Scope
from training_operator.unified.sdk.steps import Next, Plan, Send

log = logging.getLogger("training_operator.unified.sdk")
#: who owns the fields `apply_job` sets (server-side apply's field manager), unless the caller names another
FIELD_MANAGER = "training-operator"


class JobOperations(Scope):
    """Create, read, change and wait on jobs."""

    def create_job(
        self,
        /,
        job: Any = None,
        name: str | None = None,
        namespace: str | None = None,
        labels: Mapping[str, str] | None = None,
        annotations: Mapping[str, str] | None = None,
        job_kind: str | None = None,
        **builder: Any,
    ) -> Plan[JobModel]:
        """Create a job given as our model, a dict, a YAML file path or a Kubeflow SDK model, or built from
        `train_func=`/`base_image=` as Kubeflow's builders do; returns the job as stored.

        With `queue_name=`, the Kueue LocalQueue is looked up first, as Kubeflow does: a missing queue (or
        Kueue itself) or a refused lookup is a logged warning, any other failure an error.
        """
        ref, ns, body = jobs.creation(
            job, name, namespace, labels, annotations, job_kind, builder, defaults=self.defaults
        )
        queue = builder.get("queue_name")
        if isinstance(queue, str) and queue.strip():
            yield from self._check_queue(ns, queue)
        return jobs.parse_job((yield Send(calls.create_job(ref, ns, body, strict=self.defaults.strict))))

    def _check_queue(self, namespace: str, queue: str) -> Plan[None]:
        where = f"LocalQueue {namespace}/{queue}"
        try:
            yield Send(calls.get_local_queue(namespace, queue))
        except errors.JobNotFound:
            log.warning("%s does not exist: Kueue holds the job until it does", where)
        except errors.KindNotInstalled:
            log.warning("%s: Kueue is not installed, the %s label has no effect", where, builders.QUEUE_LABEL)
        except errors.Forbidden as error:
            log.warning("%s cannot be checked: %s", where, error)

    def get_job(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[JobModel]:
        """The job as stored now; JobNotFound when it does not exist."""
        call = calls.get_job(self.kind(job_kind), self.namespace(namespace), name)
        return jobs.parse_job((yield Send(call, timeout)))

    def list_jobs(
        self,
        namespace: str | None = None,
        job_kind: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        label_selector: str | None = None,
        all_namespaces: bool = False,
    ) -> Plan[list[JobModel]]:
        """Every job of one kind in the namespace (in every namespace with `all_namespaces=True`); an empty
        list when there are none."""
        scope = None if all_namespaces else self.namespace(namespace)
        found = yield from self.items(calls.list_jobs(self.kind(job_kind), scope, label_selector), timeout)
        return [jobs.parse_job(item) for item in found]

    def update_job(
        self, job: Any, name: str | None = None, namespace: str | None = None, job_kind: str | None = None
    ) -> Plan[JobModel]:
        """Merge-patch the whole job (maps merge, lists are replaced), as Kubeflow's update_job does."""
        ref, ns, body = jobs.updating(job, name, namespace, job_kind, defaults=self.defaults)
        return jobs.parse_job((yield Send(calls.update_job(ref, ns, body, strict=self.defaults.strict))))

    def apply_job(
        self,
        job: Any,
        namespace: str | None = None,
        job_kind: str | None = None,
        field_manager: str = FIELD_MANAGER,
        force: bool = False,
    ) -> Plan[JobModel]:
        """Server-side apply (`kubectl apply --server-side`): create the job, or change it to what `job`
        says. Fields this manager applied before and `job` leaves out are removed; a field another manager
        owns with a different value is a Conflict (409) unless `force` takes it over."""
        ref, ns, body = jobs.updating(job, None, namespace, job_kind, defaults=self.defaults)
        call = calls.apply_job(
            ref, ns, body, field_manager=field_manager, force=force, strict=self.defaults.strict
        )
        return jobs.parse_job((yield Send(call)))

    def delete_job(
        self, name: str, namespace: str | None = None, job_kind: str | None = None, delete_options: Any = None
    ) -> Plan[None]:
        """Delete the job; the API server's garbage collector removes its pods and services."""
        yield Send(calls.delete_job(self.kind(job_kind), self.namespace(namespace), name, delete_options))

    def set_job_suspended(
        self, name: str, suspend: bool = True, namespace: str | None = None, job_kind: str | None = None
    ) -> Plan[JobModel]:
        """Merge-patch `spec.runPolicy.suspend`: a suspended job keeps its object but the operator removes
        its pods; resuming (False) lets it start them again."""
        call = calls.patch_run_policy(self.kind(job_kind), self.namespace(namespace), name, suspend=suspend)
        return jobs.parse_job((yield Send(call)))

    def get_served_versions(
        self, job_kind: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Plan[list[str]]:
        """The versions the cluster's CRD for the kind serves; [] when the CRD is not installed."""
        try:
            crd = yield Send(calls.get_crd(self.kind(job_kind)), timeout)
        except errors.JobNotFound:  # a named GET that 404s: here the CRD itself is missing
            return []
        return calls.served_versions(crd)

    # --- conditions -----------------------------------------------------------------------------------------

    def get_job_conditions(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[list[JobCondition]]:
        """The job's conditions (of `job` when given, else fetched by name); [] without status."""
        if job is None:
            job = yield from self.get_job(jobs.required_name(name), namespace, job_kind, timeout)
        return jobs.conditions(job)

    def is_job_created(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[bool]:
        """Some Created condition is True."""
        found = yield from self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.CREATED)

    def is_job_running(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[bool]:
        """Some Running condition is True."""
        found = yield from self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RUNNING)

    def is_job_restarting(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[bool]:
        """Some Restarting condition is True."""
        found = yield from self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.RESTARTING)

    def is_job_succeeded(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[bool]:
        """Some Succeeded condition is True."""
        found = yield from self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.SUCCEEDED)

    def is_job_failed(
        self,
        name: str | None = None,
        namespace: str | None = None,
        job_kind: str | None = None,
        job: JobModel | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[bool]:
        """Some Failed condition is True."""
        found = yield from self.get_job_conditions(name, namespace, job_kind, job, timeout)
        return jobs.is_true(found, ConditionType.FAILED)

    def wait_for_job_conditions(
        self,
        name: str,
        namespace: str | None = None,
        job_kind: str | None = None,
        expected_conditions: Collection[str] = frozenset({"Succeeded"}),
        wait_timeout: float = 600,
        polling_interval: float = 15,
        callback: Callable[[JobModel], object] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Plan[JobModel]:
        """Block until an expected condition is True; JobFailed at once on Failed, Timeout after wait_timeout.

        Driven by a watch on this one job (one GET, then only the watch), so it returns as soon as the change
        lands; `polling_interval` is accepted for Kubeflow compatibility and unused. `callback(job)` is called
        with every version seen. A job deleted meanwhile ends the wait with JobNotFound.
        """
        del polling_interval
        ref, ns = self.kind(job_kind), self.namespace(namespace)
        expected = jobs.check_expected(expected_conditions)
        what = f"{ref.kind} {ns}/{name}"
        wait = watching.ConditionWait(
            what, expected, callback, wait_timeout=wait_timeout, started=time.monotonic()
        )
        job = watcher.Watcher("job", path=calls.job_path(ref, ns), what=what, name=name, timeout=timeout)
        changes: list[watcher.Change] | None = yield from job.start()
        while True:
            for change in changes or ():
                if change.type == "DELETED":
                    raise errors.JobNotFound(f"{what} was deleted while waiting")
                if isinstance(outcome := wait.step(change.body, time.monotonic()), JobModel):
                    return outcome
            if time.monotonic() >= wait.deadline:
                raise wait.timeout(wait_timeout)
            arrival = yield Next(watcher.patience([job], wait.deadline))
            changes = yield from watcher.dispatch([job], arrival)
