"""The patches that adopt or release a child, as Kubernetes' own controllers write them.

controller-runtime's claim adds the controller reference with a strategic merge patch that also carries the
object's uid: the API server refuses to change a uid, so a newer object of the same name is never claimed,
and it refuses a second controller reference, so two controllers never both win an orphan. Releasing
deletes our reference by its uid (`$patch: delete`). Custom resources (PodGroups) have no strategic merge;
there the whole list is written with a JSON merge patch, keeping the other references the record showed.
"""

from __future__ import annotations

from typing import Any

from training_operator.core.engine.plan import Adopt, Release
from training_operator.core.kube.client import MERGE_PATCH

STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
#: answers meaning the object changed before the claim landed: gone (404), replaced or taken (409, 422)
CHANGED_MEANWHILE = frozenset({404, 409, 422})


def patch(claim: Adopt | Release, *, builtin: bool) -> tuple[dict[str, Any], str]:
    """(body, content type) of the PATCH that makes the claim, with the uid precondition."""
    if isinstance(claim, Adopt):
        owner = dict(claim.owner)
        if builtin:
            return _meta(claim.uid, [owner]), STRATEGIC_MERGE_PATCH
        return _meta(claim.uid, [*map(dict, claim.keep), owner]), MERGE_PATCH
    if builtin:
        return _meta(claim.uid, [{"$patch": "delete", "uid": claim.owner_uid}]), STRATEGIC_MERGE_PATCH
    return _meta(claim.uid, [*map(dict, claim.keep)]), MERGE_PATCH


def _meta(uid: str, references: list[dict[str, Any]]) -> dict[str, Any]:
    return {"metadata": {"uid": uid, "ownerReferences": references}}
