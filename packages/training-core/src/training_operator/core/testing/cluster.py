"""A pretend API server for engine tests: apply a Plan to a job and its Snapshot, then plan again.

It follows the adapter's order (claims, deletes, creates, updates, status, job deletion) and its rule for a
create answered 409 (the object there is learnt, the remaining creates wait for the next plan, everything
else still goes), so "reconcile until quiet" in a test means what it means against a real cluster:
deterministic names turn a repeated create into a 409, never a duplicate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine import planner
from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord, Snapshot
from training_operator.core.engine.plan import Adopt, Create, Plan, Release, Update
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, Framework

Child = PodRecord | ServiceRecord | ObjectRecord


@dataclass(frozen=True, slots=True)
class Applied:
    """The world after a plan: the job body (None once deleted), its children, and writes that failed."""

    job: dict[str, Any] | None
    snapshot: Snapshot
    conflicts: tuple[str, ...] = ()


def controller_uid(body: Mapping[str, Any]) -> str:
    """The UID of the object's controller owner reference ("" when it has none)."""
    refs = (body.get("metadata") or {}).get("ownerReferences") or []
    return next((str(r.get("uid", "")) for r in refs if r.get("controller")), "")


def record_of(body: Mapping[str, Any]) -> PodRecord | ServiceRecord | ObjectRecord:
    """What the index would hold right after the API server accepted this object."""
    meta = body["metadata"]
    name, uid, owner, object_labels = (
        meta["name"],
        f"uid-{meta['name']}",
        controller_uid(body),
        meta.get("labels") or {},
    )
    if body["kind"] == "Pod" and body["apiVersion"] == "v1":
        return PodRecord(name=name, uid=uid, owner_uid=owner, labels=dict(object_labels), phase="Pending")
    if body["kind"] == "Service" and body["apiVersion"] == "v1":
        spec = body.get("spec") or {}
        return ServiceRecord(
            name=name, uid=uid, owner_uid=owner, labels=dict(object_labels), selector=spec.get("selector")
        )
    return ObjectRecord(
        str(body["apiVersion"]),
        str(body["kind"]),
        name,
        uid=uid,
        owner_uid=owner,
        body=copy.deepcopy(dict(body)),
    )


def apply_plan(job: Mapping[str, Any], snapshot: Snapshot, plan: Plan) -> Applied:
    """Carry out the plan's writes on a copy of the world, as the adapter would."""
    found: list[Child] = [*snapshot.pods, *snapshot.services, *snapshot.objects]
    children = [_claimed(c, plan.claims) for c in found]
    for delete in plan.deletes:
        children = [c for c in children if (_kind(c), c.name) != (delete.kind, delete.name)]
    conflicts: tuple[str, ...] = ()
    for create in plan.creates:
        if any((_kind(c), c.name) == (create.kind, create.name) for c in children):
            conflicts = (create.name,)  # 409: the adapter learns what is there and re-plans
            break
        children.append(record_of(create.body))
    children = [_updated(c, plan.updates) if isinstance(c, ObjectRecord) else c for c in children]
    new_job = copy.deepcopy(dict(job))
    if plan.status is not None:
        new_job["status"] = copy.deepcopy(dict(plan.status))
    return Applied(None if plan.delete_job else new_job, _snapshot(children), conflicts)


def _claimed(child: Child, claims: tuple[Adopt | Release, ...]) -> Child:
    """The child after the plan's adopt or release write (its controller reference set or removed)."""
    for claim in claims:
        if (claim.kind, claim.name, claim.uid) != (_kind(child), child.name, child.uid):
            continue
        if isinstance(claim, Adopt):
            controller = f"{claim.owner.get('kind')}/{claim.owner.get('name')}"
            return replace(child, owner_uid=str(claim.owner.get("uid", "")), controller=controller)
        return replace(child, owner_uid="", controller="")
    return child


def _snapshot(children: list[Child]) -> Snapshot:
    return Snapshot(
        pods=tuple(c for c in children if isinstance(c, PodRecord)),
        services=tuple(c for c in children if isinstance(c, ServiceRecord)),
        objects=tuple(c for c in children if isinstance(c, ObjectRecord)),
    )


def _kind(child: PodRecord | ServiceRecord | ObjectRecord) -> str:
    if isinstance(child, PodRecord):
        return "Pod"
    return "Service" if isinstance(child, ServiceRecord) else child.kind


def _updated(record: ObjectRecord, updates: tuple[Update, ...]) -> ObjectRecord:
    body = copy.deepcopy(dict(record.body))
    for update in updates:
        if update.kind == record.kind and update.name == record.name:
            body = merge(body, update.patch)
    return replace(record, body=body) if body != record.body else record


def merge(target: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch (None removes a key)."""
    result = dict(target)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


#: stands in for the adapter's fresh SSH key pair: plans stay reproducible and no real key is generated
FIXED_KEY_PAIR = (
    b"-----BEGIN EC PRIVATE KEY-----\nZml4ZWQ=\n-----END EC PRIVATE KEY-----\n",
    b"ecdsa-sha2-nistp521 AAAAfixed\n",
)


def with_inputs(framework: Framework, job: JobModel, observed: Snapshot) -> Snapshot:
    """The snapshot as the adapter completes it: `FIXED_KEY_PAIR` when the framework wants key material."""
    if observed.key_pair is None and framework.wants_key_pair(job, observed):
        return replace(observed, key_pair=FIXED_KEY_PAIR)
    return observed


@dataclass
class FakeCluster:
    """One job and its children, reconciled by a framework's engine; tests move pods between phases."""

    framework: ReplicatedFramework
    job: dict[str, Any] | None
    snapshot: Snapshot = field(default_factory=Snapshot)
    options: EngineOptions = field(default_factory=EngineOptions)
    plans: list[Plan] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    #: PriorityClass name → value, given to every snapshot the engine sees
    priority_classes: Mapping[str, int] = field(default_factory=dict)

    def reconcile(self, now: datetime) -> Plan:
        """One reconcile: parse the stored job, plan, apply the plan."""
        if self.job is None:
            return Plan()
        model = self.framework.parse(self.job)
        observed = with_inputs(
            self.framework, model, replace(self.snapshot, priority_classes=self.priority_classes)
        )
        result = planner.plan(model, self.framework, observed, now=now, options=self.options)
        applied = apply_plan(self.job, self.snapshot, result)
        self.job, self.snapshot = applied.job, applied.snapshot
        self.conflicts.extend(applied.conflicts)
        self.plans.append(result)
        return result

    def reconcile_until_quiet(self, now: datetime, *, max_passes: int = 10) -> list[Plan]:
        """Reconcile until a pass plans no write; fails loudly if the engine never settles."""
        passes = []
        for _ in range(max_passes):
            result = self.reconcile(now)
            passes.append(result)
            if result.idle:
                return passes
        raise AssertionError(f"the engine did not settle in {max_passes} passes: last plan {passes[-1]}")

    @property
    def status(self) -> dict[str, Any]:
        """The stored job status ({} when none)."""
        return dict((self.job or {}).get("status") or {})

    def set_pods(self, change: Callable[[PodRecord], PodRecord]) -> None:
        """Play the kubelet: replace every pod by `change(pod)`."""
        self.snapshot = replace(self.snapshot, pods=tuple(change(p) for p in self.snapshot.pods))

    def run_all(self, phase: str = "Running") -> None:
        """Move every pod to `phase`."""
        self.set_pods(lambda pod: replace(pod, phase=phase))

    def update_spec(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Edit the stored job as a user would (`change` mutates the body)."""
        assert self.job is not None
        change(self.job)


def written_status(plan: Plan) -> dict[str, Any]:
    """The status the plan writes; fails the test when the plan writes none."""
    assert plan.status is not None, "the plan writes no status"
    return dict(plan.status)


def creates_of(plan: Plan, kind: str) -> list[Create]:
    """The plan's creates of one kind."""
    return [c for c in plan.creates if c.kind == kind]
