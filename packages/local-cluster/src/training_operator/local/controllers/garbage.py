"""The garbage collector: ownerReferences drive cascading deletion, foreground waits, orphaning.

An object whose owners are all gone is deleted (background cascade). An owner deleted with
`propagationPolicy=Foreground` keeps its `foregroundDeletion` finalizer until its dependents are gone;
one deleted with `Orphan` has its uid removed from its dependents' ownerReferences before it goes.
"""

import copy
from collections.abc import Hashable, Iterable
from typing import Any, cast

from training_operator.local import deletion, errors
from training_operator.local.controllers.base import Controller
from training_operator.local.storage import Change, ObjectKey


class GarbageCollector(Controller):
    """Keys are storage keys (resource, namespace, name) of owners and dependents alike."""

    def keys_for(self, change: Change) -> Iterable[Hashable]:
        meta = change.object["metadata"]
        key: ObjectKey = (change.resource, meta.get("namespace", ""), meta["name"])
        if change.type == "DELETED":
            yield from self.registry.storage.dependents(meta["uid"])
            return
        if meta.get("ownerReferences"):
            yield key
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and (
            deletion.FOREGROUND in finalizers or deletion.ORPHAN in finalizers
        ):
            yield key
        for ref in meta.get("ownerReferences") or []:
            owner = self.registry.storage.by_uid(ref.get("uid", ""))
            if owner is not None:
                yield owner  # a dependent changed: a foreground owner may be done waiting

    def initial_keys(self) -> Iterable[Hashable]:
        storage = self.registry.storage
        for resource in storage.resources():
            for obj in storage.items(resource):
                meta = obj["metadata"]
                if meta.get("ownerReferences") or meta.get("deletionTimestamp"):
                    yield (resource, meta.get("namespace", ""), meta["name"])

    def _owner_alive(self, ref: dict[str, Any]) -> bool:
        key = self.registry.storage.by_uid(ref.get("uid", ""))
        return key is not None and key[2] == ref.get("name")

    async def reconcile(self, key: Hashable) -> float | None:
        resource, namespace, name = cast(tuple[str, str, str], key)
        rtype = self.registry.catalog.by_key(resource)
        obj = self.registry.storage.get(resource, namespace, name)
        if rtype is None or obj is None:
            return None
        meta = obj["metadata"]
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and deletion.ORPHAN in finalizers:
            await self._orphan(obj)
            return None
        if meta.get("deletionTimestamp") and deletion.FOREGROUND in finalizers:
            return await self._foreground(obj)
        refs = meta.get("ownerReferences") or []
        if refs and not meta.get("deletionTimestamp") and not any(self._owner_alive(r) for r in refs):
            await deletion.delete(self.registry, rtype, namespace, name, {"propagationPolicy": "Background"})
            return None
        for ref in refs:
            owner_key = self.registry.storage.by_uid(ref.get("uid", ""))
            owner = self.registry.storage.get(*owner_key) if owner_key else None
            if (
                owner is not None
                and deletion.FOREGROUND in (owner["metadata"].get("finalizers") or [])
                and owner["metadata"].get("deletionTimestamp")
                and not meta.get("deletionTimestamp")
            ):
                await deletion.delete(
                    self.registry, rtype, namespace, name, {"propagationPolicy": "Foreground"}
                )
        return None

    async def _orphan(self, owner: dict[str, Any]) -> None:
        uid = owner["metadata"]["uid"]
        for dep_key in self.registry.storage.dependents(uid):
            dep_type = self.registry.catalog.by_key(dep_key[0])
            dependent = self.registry.storage.get(*dep_key)
            if dep_type is None or dependent is None:
                continue
            new = copy.deepcopy(dependent)
            new["metadata"]["ownerReferences"] = [
                r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != uid
            ]
            if not new["metadata"]["ownerReferences"]:
                del new["metadata"]["ownerReferences"]
            await self.registry.write(dep_type, dependent, new)
        await self._drop_finalizer(owner, deletion.ORPHAN)

    async def _foreground(self, owner: dict[str, Any]) -> float | None:
        dependents = self.registry.storage.dependents(owner["metadata"]["uid"])
        for dep_key in dependents:
            dep_type = self.registry.catalog.by_key(dep_key[0])
            dependent = self.registry.storage.get(*dep_key)
            if dep_type is None or dependent is None or dependent["metadata"].get("deletionTimestamp"):
                continue
            try:
                await deletion.delete(
                    self.registry, dep_type, dep_key[1], dep_key[2], {"propagationPolicy": "Foreground"}
                )
            except errors.ApiError as exc:
                if exc.code != 404:
                    raise
        if self.registry.storage.dependents(owner["metadata"]["uid"]):
            return 1.0  # dependents still terminating; their changes requeue us sooner
        current = self.registry.storage.get(
            *self.registry.storage.by_uid(owner["metadata"]["uid"]) or ("", "", "")
        )
        if current is not None:
            await self._drop_finalizer(current, deletion.FOREGROUND)
        return None

    async def _drop_finalizer(self, obj: dict[str, Any], finalizer: str) -> None:
        rtype = self.registry.catalog.by_key(self.registry.storage.by_uid(obj["metadata"]["uid"])[0])  # type: ignore[index]
        assert rtype is not None
        new = copy.deepcopy(obj)
        new["metadata"]["finalizers"] = [f for f in new["metadata"].get("finalizers") or [] if f != finalizer]
        await self.registry.write(rtype, obj, new)
