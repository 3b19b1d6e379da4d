"""The per-replica-type pass over pods and services (common.md §6.2–§6.6, §7.2).

Slots are filled, emptied above `replicas`, failed pods restarted or turned into a job failure, and the
replica status is recounted from scratch, all from what the snapshot shows.
"""

from __future__ import annotations

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions, events, naming, policy, replica_objects, replicas
from training_operator.core.engine.draft import JOBS_RESTARTED
from training_operator.core.engine.observed import PodRecord
from training_operator.core.engine.plan import Create, MetricIncrement
from training_operator.core.engine.reconciliation import Reconciliation
from training_operator.core.framework import ReplicaRef

FAILED_PODS = "failed_pods_total"


def reconcile_replica_pods(ctx: Reconciliation, replica_type: str, spec: ReplicaSpec) -> dict[int, PodRecord]:
    """Create, delete and count one type's pods; returns the single occupant of each slot."""
    count = spec.replicas or 0
    sliced = replicas.slice_by_index(replicas.of_type(ctx.pods, replica_type), count)
    for stray in sliced.strays:  # Q5 fix: an index that is not a non-negative integer is out of range
        ctx.delete_pod(stray)
    counts = replicas.Counts()
    singles: dict[int, PodRecord] = {}
    for index, occupants in enumerate(sliced.slots):
        if not occupants:
            if index < count:  # Q13 fix: never fill a gap at or above `replicas`
                _create_pod(ctx, ReplicaRef(replica_type, index), spec)
            continue
        if len(occupants) > 1:
            continue  # duplicates: upstream only logs a warning, and counts none of them
        pod = singles[index] = occupants[0]
        if index >= count:
            ctx.delete_pod(pod)
        _observe_pod(ctx, pod, replica_type, spec)
        counts = counts.add(pod)
    statuses = ctx.draft.status.setdefault("replicaStatuses", {})
    statuses[replica_type] = counts.wire()
    return singles


def _create_pod(ctx: Reconciliation, replica: ReplicaRef, spec: ReplicaSpec) -> None:
    if not ctx.may_create("Pod", naming.child_name(ctx.job.name, replica.replica_type, replica.index)):
        return
    built = replica_objects.desired_pod(ctx.job, ctx.framework, replica, spec, options=ctx.options)
    ctx.creates.append(Create(built.body))
    ctx.draft.events.extend(built.events)


def _observe_pod(ctx: Reconciliation, pod: PodRecord, replica_type: str, spec: ReplicaSpec) -> None:
    """ExitedWithCode on every pass, then the failed-pod rule (§6.3 steps 2–3, §6.5)."""
    container = ctx.framework.kind.default_container
    record = pod.container(container)
    if record is not None and record.exit_code is not None:
        ctx.draft.events.append(events.exited_with_code(ctx.job.namespace, pod, record.exit_code))
    if pod.phase != "Failed":
        return
    action = policy.failed_pod_action(spec.restart_policy, pod, container)
    if action is policy.FailedPodAction.RESTART and not pod.deleting:
        # A pod already terminating was restarted by an earlier pass: counting it again would inflate
        # jobs_restarted after every operator restart (docs/differences/engine.md).
        ctx.delete_pod(pod)
        ctx.draft.metrics.append(MetricIncrement(FAILED_PODS))  # upstream counts a failed pod it restarts
        _restart(ctx, replica_type)
    elif action is policy.FailedPodAction.FAIL_JOB:
        message = events.exit_code_failed_message(ctx.job.name, replica_type)
        ctx.draft.event(events.WARNING, events.reason(ctx.kind, "Failed"), message)
        ctx.draft.set_condition(
            ConditionType.FAILED, conditions.TRUE, events.reason(ctx.kind, "Failed"), message
        )
        if ctx.draft.is_true(ConditionType.FAILED):
            ctx.draft.mark_completed()  # Q14 fix: upstream leaves completionTime nil here for most kinds


def _restart(ctx: Reconciliation, replica_type: str) -> None:
    reason = events.reason(ctx.kind, "Restarting")
    message = events.restarting_message(ctx.job.name, replica_type)
    ctx.draft.event(events.WARNING, reason, message)
    ctx.draft.set_condition(ConditionType.RESTARTING, conditions.TRUE, reason, message)
    ctx.draft.count(JOBS_RESTARTED)


def reconcile_replica_services(ctx: Reconciliation, replica_type: str, spec: ReplicaSpec) -> None:
    """Headless services sliced like pods: fill gaps below `replicas`, delete above (§7.2)."""
    count = spec.replicas or 0
    sliced = replicas.slice_by_index(replicas.of_type(ctx.services, replica_type), count)
    for stray in sliced.strays:
        ctx.delete_service(stray)
    for index, occupants in enumerate(sliced.slots):
        if not occupants and index < count:
            if ctx.may_create("Service", naming.child_name(ctx.job.name, replica_type, index)):
                body = replica_objects.desired_service(
                    ctx.job, ctx.framework, ReplicaRef(replica_type, index), spec
                )
                ctx.creates.append(Create(body))
        elif len(occupants) == 1 and index >= count:
            ctx.delete_service(occupants[0])
