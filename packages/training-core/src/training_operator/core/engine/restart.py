"""Whole-job restart (ours, opt-in with `spec.runPolicy.wholeJobRestart`): one failed replica restarts all.

Restarting only the failed pod of a DDP job leaves the survivors hung in a collective that never completes,
so when a replica fails in a way its restart policy retries (OnFailure, Always, ExitCode with a retryable
code) the job moves to the next *attempt*:

1. one status write: `status.wholeJobRestarts` = N+1, `Restarting=True` naming the attempt, an event and the
   restart counters — nothing else, so the decision is recorded before any pod goes;
2. every pod labelled with an older attempt is deleted (one delete per pod; services stay) and nothing is
   created or counted while any of them still exists;
3. once all are gone the ordinary pass creates every pod again (one create per pod), labelled with the new
   attempt and told it through `TRAINING_OPERATOR_RESTART_ATTEMPT`.

The attempt lives in the API (the status field and each pod's label), never in memory, so an operator
killed at any step decides the same thing again: an unwritten step 1 is simply decided again; after it,
step 2 follows from the labels. A failure the restart policy does not retry (Never, a permanent exit code)
takes the ordinary path and fails the job exactly as without the policy.

The rule (`decide`, `settle`) reads only `Inputs`, so it serves every kind: `step` applies it to the common
engine's reconcile; a kind with its own life cycle (MPIJob, whose attempt also recreates its launcher Job)
builds the `Inputs` from its children, carries out the `Outcome`'s deletes, and stamps what it creates with
`stamp_pod`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from training_operator.core import labels
from training_operator.core.api.common import RestartPolicy, RunPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.status import ConditionType
from training_operator.core.engine import conditions, container_env, events, policy
from training_operator.core.engine.draft import JOBS_RESTARTED, StatusDraft
from training_operator.core.engine.observed import ObjectRecord, PodRecord

if TYPE_CHECKING:  # only an annotation: importing it would join the planner's import cycle
    from training_operator.core.engine.reconciliation import Reconciliation

#: the status field counting whole-job restarts; also the attempt the current pods belong to
STATUS_FIELD = "wholeJobRestarts"
#: tells the training process which attempt it is (0 for the first run), e.g. to log or to skip warm-up
ATTEMPT_ENV = "TRAINING_OPERATOR_RESTART_ATTEMPT"
#: Prometheus counter of whole-job restarts (JOBS_RESTARTED counts them too, with per-pod restarts)
WHOLE_JOB_RESTARTS = "training_operator_whole_job_restarts_total"
#: Kubernetes Job's default backoffLimit: the bound when neither maxRestarts nor backoffLimit is set
DEFAULT_LIMIT = 6


class Step(Enum):
    """What the rule wants from this reconcile."""

    PROCEED = "proceed"  # nothing to do: the ordinary pass runs
    WAIT = "wait"  # pods of an older attempt are being removed (or the job object lags its pods)
    RESTART = "restart"  # record the next attempt
    FAIL = "fail"  # a retryable failure, but the restart limit is used up


#: a child that belongs to an attempt: a pod, or another object the attempt recreates (MPI's launcher Job)
Child = PodRecord | ObjectRecord


@dataclass(frozen=True, slots=True)
class Decision:
    """The rule's answer: the step, the children of older attempts, and what failed."""

    step: Step
    stale: tuple[Child, ...] = ()
    failed_type: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the caller does after the rule: delete `stale` (skipping those already going), requeue after
    `requeue_after`, and stop this reconcile (`handled`) or fail the job with `failure`."""

    handled: bool = False
    failure: str | None = None
    stale: tuple[Child, ...] = ()
    requeue_after: float | None = None


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the rule reads of one reconcile, whatever the kind's life cycle.

    `pods` are the job's pods; `type_label` is the label naming a pod's lower-case replica type, whose
    restart policy `policies` gives. `others` are the other children each attempt recreates (MPI's launcher
    Job): only their attempt label is read. `signals` are failures a kind sees beyond its pods, as (lower-case
    replica type, action): MPI's launcher Job that failed after its pod did (RESTART) or ran out of time
    (FAIL_JOB).
    """

    attempt: int
    pods: Sequence[PodRecord]
    policies: Mapping[str, RestartPolicy | None]
    container: str
    type_label: str = labels.REPLICA_TYPE
    others: Sequence[ObjectRecord] = ()
    signals: Sequence[tuple[str, policy.FailedPodAction]] = ()


def enabled(job: JobModel) -> bool:
    """The job opted in."""
    return job.run_policy.whole_job_restart is not None


def limit(run_policy: RunPolicy) -> int:
    """Whole-job restarts allowed: `maxRestarts`, else `backoffLimit`, else Kubernetes Job's default 6."""
    own = run_policy.whole_job_restart.max_restarts if run_policy.whole_job_restart else None
    if own is not None:
        return own
    return DEFAULT_LIMIT if run_policy.backoff_limit is None else run_policy.backoff_limit


def attempt_of(status: Mapping[str, Any] | None) -> int:
    """The attempt recorded in the status (0 before the first whole-job restart)."""
    value = (status or {}).get(STATUS_FIELD)
    return value if isinstance(value, int) and value >= 0 else 0


def child_attempt(child: Child) -> int:
    """The attempt a child was created for; no label (created before the opt-in) is attempt 0, garbage -1."""
    raw = child.labels.get(labels.RESTART_ATTEMPT)
    if raw is None:
        return 0
    return int(raw) if raw.isdigit() else -1


def decide(given: Inputs) -> Decision:
    """The pure rule, the same for every kind."""
    children: tuple[Child, ...] = (*given.pods, *given.others)
    if any(child_attempt(c) > given.attempt for c in children):
        return Decision(Step.WAIT)  # the job object we read is older than its children: look again
    stale = tuple(c for c in children if child_attempt(c) < given.attempt)
    if stale:
        return Decision(Step.WAIT, stale=stale)
    actions = [*given.signals]
    for pod in given.pods:
        if pod.phase == "Failed":
            replica_type = pod.labels.get(given.type_label, "")
            action = policy.failed_pod_action(given.policies.get(replica_type), pod, given.container)
            actions.append((replica_type, action))
    if any(action is policy.FailedPodAction.FAIL_JOB for _, action in actions):
        return Decision(Step.PROCEED)  # a permanent failure fails the job as without the policy
    retried = [rt for rt, action in actions if action is policy.FailedPodAction.RESTART]
    if not retried:
        return Decision(Step.PROCEED)
    return Decision(Step.RESTART, failed_type=retried[0])


def settle(job: JobModel, draft: StatusDraft, given: Inputs, *, kind: str, **rules: bool) -> Outcome:
    """Decide, and for a restart record the next attempt on the draft; `rules` are the kind's variant of
    the condition engine (MPIJob's Failed is not terminal)."""
    decision = decide(given)
    if decision.step is Step.PROCEED:
        return Outcome()
    if decision.step is Step.WAIT:
        # children already going are awaited through their watch events; a stale read is looked at again
        return Outcome(handled=True, stale=decision.stale, requeue_after=None if decision.stale else 1.0)
    allowed = limit(job.run_policy)
    if given.attempt >= allowed:
        return Outcome(handled=True, failure=limit_message(job, allowed))
    names = {rt.lower(): rt for rt in job.replica_specs()}  # pods carry the lower-case type
    replica_type = names.get(decision.failed_type, decision.failed_type)
    _record_restart(draft, kind, job.name, given.attempt + 1, allowed, replica_type, rules)
    return Outcome(handled=True, requeue_after=0.0)


def step(ctx: Reconciliation) -> Outcome:
    """Apply the rule to one reconcile of an active v1 job (a no-op unless the job opted in)."""
    if not enabled(ctx.job):
        return Outcome()
    specs = ctx.job.replica_specs()
    given = Inputs(
        attempt=attempt_of(ctx.stored_status),
        pods=ctx.pods,
        policies={rt.lower(): (s.restart_policy if s else None) for rt, s in specs.items()},
        container=ctx.framework.kind.default_container,
    )
    outcome = settle(ctx.job, ctx.draft, given, kind=ctx.kind)
    for pod in outcome.stale:
        if isinstance(pod, PodRecord):
            ctx.delete_pod(pod)  # already-terminating pods are skipped: one delete per pod
    if outcome.requeue_after is not None:
        ctx.requeue_in(outcome.requeue_after)
    return outcome


def limit_message(job: JobModel, allowed: int) -> str:
    """Why the job failed once its restarts are used up."""
    return (
        f"Job {job.name} has failed because it has reached the specified limit of {allowed} whole-job "
        "restarts"
    )


def restarting_message(name: str, replica_type: str, attempt: int, allowed: int) -> str:
    """The Restarting condition's and event's message, with the attempt number."""
    return (
        f"job {name} is restarting all its pods together because {replica_type} replica(s) failed: "
        f"attempt {attempt} (whole-job restart {attempt} of at most {allowed})."
    )


def _record_restart(
    draft: StatusDraft,
    kind: str,
    name: str,
    attempt: int,
    allowed: int,
    replica_type: str,
    rules: Mapping[str, bool],
) -> None:
    """Step 1: only the status (and its event and counters); the next pass deletes the old children."""
    reason = events.reason(kind, "WholeJobRestart")
    message = restarting_message(name, replica_type, attempt, allowed)
    draft.status[STATUS_FIELD] = attempt
    if not draft.set_condition(ConditionType.RESTARTING, conditions.TRUE, reason, message, **rules):
        _refresh_message(draft.status, message, draft.now)
    draft.event(events.WARNING, reason, message)
    draft.count(WHOLE_JOB_RESTARTS)
    draft.count(JOBS_RESTARTED)


def _refresh_message(status: dict[str, Any], message: str, now: str) -> None:
    """A second restart before the job ran again: same reason, so the merge rule would keep the old text."""
    for condition in status.get("conditions") or []:
        if condition.get("type") == ConditionType.RESTARTING:
            condition.update(message=message, lastUpdateTime=now)


def stamp_pod(job: JobModel, pod: dict[str, Any]) -> None:
    """Label a new pod (or a pod template, `{metadata, spec}`) with the job's attempt, tell its containers,
    and let the operator restart it.

    The kubelet must not restart a container in place (OnFailure, Always): that would restart one pod
    alone, the very thing this policy avoids, so the pod gets `restartPolicy: Never` and its failure
    reaches the rule above.
    """
    if not enabled(job):
        return
    attempt = attempt_of(job.status.to_wire() if job.status is not None else None)
    pod["metadata"].setdefault("labels", {})[labels.RESTART_ATTEMPT] = str(attempt)
    container_env.append_to_all_containers(pod, [container_env.env_var(ATTEMPT_ENV, str(attempt))])
    pod.setdefault("spec", {})["restartPolicy"] = RestartPolicy.NEVER.value
