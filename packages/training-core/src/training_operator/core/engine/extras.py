"""Children beyond pods, services and the PodGroup (PyTorch's HPA, ...): create, update, delete to match.

The framework states what it wants as whole bodies; this module turns the difference with the snapshot into
writes, touching only fields the framework states so server-side defaults never cause endless updates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training_operator.core.engine import gang, owner, ownership
from training_operator.core.engine.observed import ObjectRecord
from training_operator.core.engine.plan import Create, Update
from training_operator.core.engine.reconciliation import Reconciliation

_NOT_COMPARED = frozenset({"apiVersion", "kind", "metadata", "status"})


def reconcile_extra_children(ctx: Reconciliation) -> None:
    """Create missing, update changed, delete owned-but-unwanted extra children."""
    off = ctx.options.without_kinds
    wanted = [
        body
        for body in ctx.framework.extra_children(ctx.job, ctx.observed, options=ctx.options)
        if body["kind"] not in off
    ]
    keys = set()
    for body in wanted:
        kind, name = str(body["kind"]), str(body["metadata"]["name"])
        keys.add((kind, name))
        current = ctx.observed.object(kind, name)
        if current is None:
            ctx.creates.append(Create(body))
        elif _claimed(ctx, current, body):
            patch = subset_patch(current.body, {k: v for k, v in body.items() if k not in _NOT_COMPARED})
            if patch:
                ctx.updates.append(Update(str(body["apiVersion"]), kind, name, patch))
    for record in ctx.observed.objects:
        owned = record.owner_uid == ctx.job.uid
        if owned and record.kind != gang.POD_GROUP and (record.kind, record.name) not in keys:
            ctx.delete_object(record)


def _claimed(ctx: Reconciliation, current: ObjectRecord, wanted: Mapping[str, Any]) -> bool:
    """Whether the object at a wanted child's name is (now) this job's: adopted when it is an orphan with
    the wanted labels, released when ours without them, reported when another controller's."""
    selector = (wanted.get("metadata") or {}).get("labels") or {}
    decision = ownership.claim(current, job_uid=ctx.job.uid, selector=selector)
    if decision is ownership.Claim.ADOPT:
        ctx.claims.append(ownership.adopt(current, owner.controller_reference(ctx.job)))
    elif decision is ownership.Claim.RELEASE:
        ctx.claims.append(ownership.release(current))
    elif decision is ownership.Claim.FOREIGN:
        ownership.hold(ctx.blocked, current)
    return decision in (ownership.Claim.OURS, ownership.Claim.ADOPT)


def subset_patch(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch setting every field `wanted` names to its value; fields it omits are left alone."""
    patch: dict[str, Any] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if isinstance(value, Mapping) and isinstance(have, Mapping):
            nested = subset_patch(have, value)
            if nested:
                patch[key] = nested
        elif have != value:
            patch[key] = value
    return patch
