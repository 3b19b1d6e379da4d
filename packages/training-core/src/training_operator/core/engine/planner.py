"""The engine's single door: `plan(job, framework, observed, now=, options=) -> Plan`.

It walks common.md §4.4 steps 2–9 and §5 in order: the managedBy and deletion gates, in-memory defaulting,
then exactly one of the finished, suspended or active paths. Each rule family lives in its own module; this
one only decides which rules run, so the order of Kubeflow's reconcile can be read in one place.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from training_operator.core import labels
from training_operator.core.api import limits
from training_operator.core.api.common import MANAGED_BY_THIS_OPERATOR, CleanPodPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem, aggregate
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import (
    conditions,
    events,
    extras,
    gang,
    naming,
    owner,
    ownership,
    policy,
    replica_pass,
    restart,
)
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import PodRecord, ServiceRecord, Snapshot
from training_operator.core.engine.plan import Create, Event, Plan, Update
from training_operator.core.engine.reconciliation import Reconciliation
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, Framework


def plan(
    job: JobModel,
    framework: Framework,
    observed: Snapshot,
    *,
    now: datetime,
    options: EngineOptions,
) -> Plan:
    """Everything the job needs next. Reads no clock, no API, no globals; `now` comes in.

    `job` is the object exactly as stored (raw spec, current status); `observed` holds its children. A kind
    with its own life cycle answers through its `own_plan` hook; every other kind runs the common engine.
    """
    try:
        own = framework.own_plan(job, observed, now=now, options=options)
    except ReconcileError as error:
        return Plan(error=str(error))
    if own is not None:
        return own
    managed_by = job.run_policy.managed_by
    if managed_by is not None and managed_by != MANAGED_BY_THIS_OPERATOR:
        return Plan()  # §13: another controller owns this job; not even Created is written
    if job.metadata.deletion_timestamp:
        return Plan()  # §4.4 step 5: garbage collection removes the children
    if beyond := limits.replica_problems(job.replica_specs(), framework.kind.replica_map_key):
        return _refused(job, framework, beyond)
    try:
        ctx = _start(job, framework, observed, now=now, options=options)
        extras.reconcile_extra_children(ctx)
        if ctx.draft.finished:
            _finished(ctx)
        elif ctx.job.run_policy.suspend:
            _suspended(ctx)
        else:
            _active(ctx)
    except ReconcileError as error:
        return Plan(error=str(error))
    ownership.report(ctx.draft, ctx.kind, ctx.blocked)
    return ctx.to_plan()


def _refused(job: JobModel, framework: Framework, found: list[FieldProblem]) -> Plan:
    """A job past the bounds (core.api.limits) that slipped past admission (webhooks off, or a model built
    without validation): no child is planned, whatever the count; a Warning event names the fields."""
    kind = framework.kind.kind
    message = f"{kind} {job.name} failed validation because {aggregate(found)}"
    return Plan(events=(Event(events.WARNING, events.reason(kind, "FailedValidation"), message),))


def _start(
    job: JobModel,
    framework: Framework,
    observed: Snapshot,
    *,
    now: datetime,
    options: EngineOptions,
) -> Reconciliation:
    defaulted = framework.default(job)
    stored = job.status.to_wire() if job.status is not None else {}
    kind = framework.kind
    draft = StatusDraft(
        job=defaulted, status=stored, now=naming.timestamp(now), framework_label=kind.framework_label
    )
    if conditions.find(draft.conditions, ConditionType.CREATED) is None:
        message = events.created_message(kind.kind, job.name)
        draft.set_condition(
            ConditionType.CREATED, conditions.TRUE, events.reason(kind.kind, "Created"), message
        )
    # common.md §6.1, §7.1: claim first (adopt matching orphans, release what stopped matching), then count
    selector = naming.job_labels(job.name, kind.controller_name)
    reference = owner.controller_reference(job)
    pods = ownership.split(observed.pods, job_uid=job.uid, selector=selector, owner=reference)
    services = ownership.split(observed.services, job_uid=job.uid, selector=selector, owner=reference)
    return Reconciliation(
        job=defaulted,
        framework=framework,
        observed=observed,
        options=options,
        now=now,
        draft=draft,
        stored_status=stored,
        pods=tuple(p for p in pods.ours if isinstance(p, PodRecord) and p.labels.get(labels.REPLICA_TYPE)),
        services=tuple(s for s in services.ours if isinstance(s, ServiceRecord)),
        claims=[*pods.claims, *services.claims],
    )


def _finished(ctx: Reconciliation) -> None:
    """§5 step 3: clean up per cleanPodPolicy, drop the PodGroup, apply the TTL, settle the counts."""
    clean = ctx.job.run_policy.clean_pod_policy
    ctx.delete_pods_with_services(policy.pods_to_clean(ctx.pods, clean, finished=True))
    _delete_pod_group(ctx)
    if not ctx.job.run_policy.suspend:  # Q7 fix: a suspended finished job has no TTL, not even a requeue
        _apply_ttl(ctx, may_delete=True)
    if ctx.draft.is_true(ConditionType.SUCCEEDED):
        for entry in (ctx.draft.status.get("replicaStatuses") or {}).values():
            if entry.get("active"):
                entry["succeeded"] = int(entry.get("succeeded") or 0) + int(entry.pop("active"))


def _apply_ttl(ctx: Reconciliation, *, may_delete: bool) -> None:
    decision = policy.ttl_decision(
        ctx.job.run_policy.ttl_seconds_after_finished, ctx.draft.status.get("completionTime"), ctx.now
    )
    if decision.error is not None:
        ctx.error = decision.error
        ctx.skip_status = may_delete  # the cleanup returns before its status write; step 9 comes after it
    elif decision.delete_job:
        ctx.delete_job = may_delete
        ctx.requeue_in(0.0)
    elif decision.requeue_after is not None:
        ctx.requeue_in(decision.requeue_after)


def _suspended(ctx: Reconciliation) -> None:
    """§12: every pod and its service goes, counts drop to zero active, Running flips, Suspended is set."""
    ctx.delete_pods_with_services(policy.pods_to_clean(ctx.pods, CleanPodPolicy.ALL, finished=False))
    _delete_pod_group(ctx)
    for entry in (ctx.draft.status.get("replicaStatuses") or {}).values():
        entry.pop("active", None)
    reason = events.reason(ctx.kind, "Suspended")
    message = events.suspended_message(ctx.kind, ctx.job.name)
    if ctx.draft.is_true(ConditionType.RUNNING):
        ctx.draft.set_condition(ConditionType.RUNNING, conditions.FALSE, reason, message)
    if not ctx.draft.is_true(ConditionType.SUSPENDED):
        ctx.draft.set_condition(ConditionType.SUSPENDED, conditions.TRUE, reason, message)
    ctx.draft.event(events.NORMAL, reason, message)  # on every pass, as upstream; the adapter aggregates


def _active(ctx: Reconciliation) -> None:
    """§5 steps 5–10 for a job that is neither finished nor suspended."""
    if ctx.draft.is_true(ConditionType.SUSPENDED):
        _resume(ctx)
    ctx.draft.events.extend(events.abnormal_pod_events(ctx.pods))
    failure = _limit_failure(ctx)
    if failure is not None:
        _fail(ctx, failure)
        return
    whole = restart.step(ctx)  # ours: runPolicy.wholeJobRestart (engine/restart.py)
    if whole.failure is not None:
        _fail(ctx, whole.failure)
        return
    if whole.handled:
        _schedule_next(ctx)
        return
    gate = _sync_pod_group(ctx)
    if gate is _Gate.WAIT:
        ctx.draft.status["lastReconcileTime"] = ctx.draft.now
        ctx.requeue_in(ctx.options.gang_retry_seconds)  # Q15: wait for the PodGroup without a tight loop
        return
    if gate is _Gate.BLOCKED:
        return  # pods would join another owner's gang: none until the name is free (reported as Blocked)
    singles = {}
    for replica_type, spec in ctx.job.replica_specs().items():
        if spec is None:
            continue
        found = replica_pass.reconcile_replica_pods(ctx, replica_type, spec)
        singles.update({(replica_type, index): pod for index, pod in found.items()})
        replica_pass.reconcile_replica_services(ctx, replica_type, spec)
    ctx.draft.pods = singles
    # "Restarting when the status step began" includes a restart the pod pass just decided (TF §9)
    ctx.draft.restarting_at_start = ctx.draft.is_true(ConditionType.RESTARTING)
    ctx.framework.update_status(ctx.job, ctx.draft)
    _write_selectors(ctx)
    _schedule_next(ctx)


def _resume(ctx: Reconciliation) -> None:
    """§5 step 5: Suspended=False, and the deadline clock starts again (startTime = now, Q11)."""
    reason = events.reason(ctx.kind, "Resumed")
    message = events.resumed_message(ctx.kind, ctx.job.name)
    ctx.draft.set_condition(ConditionType.SUSPENDED, conditions.FALSE, reason, message)
    ctx.draft.status["startTime"] = ctx.draft.now
    ctx.draft.event(events.NORMAL, reason, message)


def _limit_failure(ctx: Reconciliation) -> str | None:
    """The backoff or deadline failure message, if either limit is exceeded (§10)."""
    run_policy = ctx.job.run_policy
    if run_policy.backoff_limit is not None:
        specs = ctx.job.replica_specs()
        data = policy.BackoffInput(
            limit=run_policy.backoff_limit,
            pods=ctx.pods,
            policies={rt.lower(): (s.restart_policy if s else None) for rt, s in specs.items()},
            total_replicas=gang.total_replicas(ctx.job),
            previous_failed=policy.previous_failed(ctx.stored_status),
        )
        if policy.backoff_exceeded(data):
            return events.backoff_message(ctx.job.name)
    left = policy.seconds_to_deadline(
        run_policy.active_deadline_seconds, ctx.draft.status.get("startTime"), ctx.now
    )
    if left is not None and left <= 0:
        return events.deadline_message(ctx.job.name)
    return None


def _fail(ctx: Reconciliation, message: str) -> None:
    """§5 step 6: every pod and service goes whatever cleanPodPolicy says; the job is Failed."""
    ctx.draft.mark_completed()
    ctx.delete_pods_with_services(list(ctx.pods))
    _apply_ttl(ctx, may_delete=True)
    _delete_pod_group(ctx)
    reason = events.reason(ctx.kind, "Failed")
    ctx.draft.event(events.NORMAL, reason, message)
    ctx.draft.set_condition(ConditionType.FAILED, conditions.TRUE, reason, message)


class _Gate(Enum):
    """What the PodGroup lets the pods do this pass."""

    GO = "go"
    WAIT = "wait"
    BLOCKED = "blocked"


def _sync_pod_group(ctx: Reconciliation) -> _Gate:
    """Create, adopt or update the PodGroup (§14.4); whether the pods may go, wait, or are blocked."""
    mode = ctx.options.gang_scheduling
    if mode is None:
        return _Gate.GO
    going = gang.terminating(ctx.job, ctx.observed, mode)
    if going is not None:  # its name is not free yet: creating would only meet a 409, again and again
        ownership.hold(ctx.blocked, going)
        ours = going.owner_uid == ctx.job.uid
        return (_Gate.WAIT if gang.must_wait(mode, None) else _Gate.GO) if ours else _Gate.BLOCKED
    current = gang.existing(ctx.job, ctx.observed, mode)
    if current is not None:
        decision = ownership.claim(current, job_uid=ctx.job.uid, selector={})
        if decision is ownership.Claim.FOREIGN:
            ownership.hold(ctx.blocked, current)
            return _Gate.BLOCKED
        if decision is ownership.Claim.ADOPT:
            ctx.claims.append(ownership.adopt(current, owner.controller_reference(ctx.job)))
    wanted = gang.desired(
        ctx.job, ctx.framework.kind, mode, current, ctx.options, ctx.observed.priority_classes
    )
    if current is None:
        ctx.creates.append(Create(wanted))
    else:
        patch = gang.spec_patch(current, wanted, mode)
        if patch:
            ctx.updates.append(Update(gang.api_version(mode), gang.POD_GROUP, ctx.job.name, patch))
    return _Gate.WAIT if gang.must_wait(mode, current) else _Gate.GO


def _delete_pod_group(ctx: Reconciliation) -> None:
    """§14.5 on finish, suspension and failure: JobTerminated, then delete the PodGroup if it is ours."""
    mode = ctx.options.gang_scheduling
    current = None if mode is None else gang.existing(ctx.job, ctx.observed, mode)
    if current is not None and current.owner_uid == ctx.job.uid:
        ctx.draft.event(events.NORMAL, events.JOB_TERMINATED, events.JOB_TERMINATED_MESSAGE)
        ctx.delete_object(current)


def _write_selectors(ctx: Reconciliation) -> None:
    """`replicaStatuses[*].selector` for scalable kinds (§1.6), unless the framework set it."""
    if not ctx.framework.writes_selector:
        return
    statuses = ctx.draft.status.setdefault("replicaStatuses", {})
    controller = ctx.framework.kind.controller_name
    for replica_type in ctx.job.replica_specs():
        entry = statuses.setdefault(replica_type, {})
        entry.setdefault("selector", naming.selector(ctx.job.name, controller, replica_type))


def _schedule_next(ctx: Reconciliation) -> None:
    """Q1 fix: a timer at the active deadline; once finished, §4.4 step 9's TTL requeue instead."""
    if ctx.draft.finished:
        _apply_ttl(ctx, may_delete=False)
        return
    left = policy.seconds_to_deadline(
        ctx.job.run_policy.active_deadline_seconds, ctx.draft.status.get("startTime"), ctx.now
    )
    if left is not None:
        ctx.requeue_in(left)
