"""DELETE and deletecollection: preconditions, graceful pod deletion, finalizers and propagation policy.

Deletion is a state machine spread over the registry (this module), the garbage collector and the kubelet:
here an object either goes at once or gets `deletionTimestamp` plus the finalizers that make the others
finish the job (`foregroundDeletion`, `orphan`; the kubelet for running pods).
"""

import copy
import datetime
from typing import Any

from training_operator.local import errors, metadata
from training_operator.local.registry import Obj, Registry
from training_operator.local.resources import ResourceType

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"
# batch/v1 Jobs (and a few legacy types) orphan their dependents unless told otherwise: upstream keeps this
# default for compatibility, so a client that wants the pods gone must say Background or Foreground.
_ORPHAN_BY_DEFAULT = frozenset({"batch/jobs"})


def _check_preconditions(rtype: ResourceType, obj: Obj, preconditions: dict[str, Any]) -> None:
    meta = obj["metadata"]
    for key in ("uid", "resourceVersion"):
        wanted = preconditions.get(key)
        if wanted and wanted != meta.get(key):
            raise errors.conflict(
                rtype.group,
                rtype.plural,
                meta["name"],
                f"Precondition failed: {key.capitalize() if key == 'uid' else 'ResourceVersion'} in "
                f"precondition: "
                f"{wanted}, {key.capitalize() if key == 'uid' else 'ResourceVersion'} in object "
                f"meta: {meta.get(key)}",
            )


def _propagation(rtype: ResourceType, options: dict[str, Any]) -> str:
    policy = options.get("propagationPolicy")
    if policy:
        if policy not in ("Background", "Foreground", "Orphan"):
            raise errors.invalid(
                "meta.k8s.io",
                "DeleteOptions",
                "",
                [
                    errors.cause(
                        "propagationPolicy",
                        "FieldValueNotSupported",
                        f'Unsupported value: "{policy}": supported values: "Foreground", '
                        f'"Background", "Orphan", "nil"',
                    )
                ],
            )
        return str(policy)
    orphan = options.get("orphanDependents")
    if orphan is not None:
        return "Orphan" if orphan else "Background"
    return "Orphan" if rtype.key in _ORPHAN_BY_DEFAULT else "Background"


def _grace_seconds(rtype: ResourceType, obj: Obj, options: dict[str, Any]) -> int:
    """Only pods bound to a node and not yet terminal are deleted gracefully (the kubelet finishes them)."""
    if rtype.key != "/pods":
        return 0
    if not obj.get("spec", {}).get("nodeName") or obj.get("status", {}).get("phase") in (
        "Succeeded",
        "Failed",
    ):
        return 0
    grace = options.get("gracePeriodSeconds")
    if grace is None:
        grace = obj["spec"].get("terminationGracePeriodSeconds", 30)
    return max(int(grace), 0)


def _finalizers(meta: dict[str, Any], policy: str, *, has_dependents: bool) -> list[str]:
    """The GC finalizers the policy asks for (only when there is something for the collector to do)."""
    finalizers = list(meta.get("finalizers") or [])
    if policy == "Foreground" and has_dependents and FOREGROUND not in finalizers:
        finalizers.append(FOREGROUND)
    if policy == "Orphan" and has_dependents and ORPHAN not in finalizers:
        finalizers.append(ORPHAN)
    if policy != "Orphan" and ORPHAN in finalizers and not meta.get("deletionTimestamp"):
        finalizers.remove(ORPHAN)
    return finalizers


async def delete(
    registry: Registry,
    rtype: ResourceType,
    namespace: str,
    name: str,
    options: dict[str, Any],
    *,
    dry_run: bool = False,
) -> Obj:
    """Delete one object; returns it as last stored (with deletionTimestamp when it lingers)."""
    obj = registry.get(rtype, namespace, name)
    _check_preconditions(rtype, obj, options.get("preconditions") or {})
    if registry.admission is not None:
        await registry.admission.admit(rtype, "DELETE", obj, obj, sub="", dry_run=dry_run)
        obj = registry.get(rtype, namespace, name)
    if dry_run:
        return obj
    policy = _propagation(rtype, options)
    grace = _grace_seconds(rtype, obj, options)
    new = copy.deepcopy(obj)
    meta = new["metadata"]
    finalizers = _finalizers(meta, policy, has_dependents=bool(registry.storage.dependents(meta["uid"])))
    is_namespace = rtype.key == "/namespaces"
    if not finalizers and grace == 0 and not is_namespace:
        return registry.remove(rtype, obj)
    if finalizers:
        meta["finalizers"] = finalizers
    now = registry.clock()
    if not meta.get("deletionTimestamp"):
        meta["deletionTimestamp"] = metadata.timestamp(now + datetime.timedelta(seconds=grace))
        meta["generation"] = meta.get("generation", 1) + 1
        meta["deletionGracePeriodSeconds"] = grace
    elif grace < meta.get("deletionGracePeriodSeconds", 0):
        # A shorter grace period may replace a longer one (kubectl delete --grace-period=0 --force).
        meta["deletionGracePeriodSeconds"] = grace
        meta["deletionTimestamp"] = metadata.timestamp(now + datetime.timedelta(seconds=grace))
    if is_namespace:
        new.setdefault("status", {})["phase"] = "Terminating"
    if metadata.same_content(new, obj):
        return obj
    if registry.ready_to_remove(new):
        return registry.remove(rtype, new)
    meta["resourceVersion"] = str(registry.storage.next_rv())
    registry.storage.put(rtype.key, new, event="MODIFIED")
    return new


async def delete_collection(
    registry: Registry,
    rtype: ResourceType,
    namespace: str | None,
    matches: Any,
    options: dict[str, Any],
    *,
    dry_run: bool = False,
) -> list[Obj]:
    """Delete every object the selectors match, one by one, as upstream does."""
    deleted = []
    for obj in list(registry.storage.items(rtype.key, namespace)):
        if matches(obj):
            try:
                deleted.append(
                    await delete(
                        registry,
                        rtype,
                        obj["metadata"].get("namespace", ""),
                        obj["metadata"]["name"],
                        options,
                        dry_run=dry_run,
                    )
                )
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
    return deleted
