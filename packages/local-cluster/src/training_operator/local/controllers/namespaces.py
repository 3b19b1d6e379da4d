"""Namespace finalization: a deleted namespace empties itself, then goes.

Every namespaced object in a terminating namespace is deleted (background cascade); once nothing is left
the `kubernetes` finalizer is removed from `spec.finalizers` and the namespace disappears.
"""

import copy
from collections.abc import Hashable, Iterable

from training_operator.local import deletion, errors
from training_operator.local.controllers.base import Controller
from training_operator.local.storage import Change

RECHECK = 0.2


class NamespaceFinalizer(Controller):
    """Keys are namespace names."""

    def keys_for(self, change: Change) -> Iterable[Hashable]:
        if change.resource == "/namespaces":
            if change.object["metadata"].get("deletionTimestamp") and change.type != "DELETED":
                yield change.object["metadata"]["name"]
        elif change.type == "DELETED":
            namespace = change.object["metadata"].get("namespace")
            ns = self.registry.storage.get("/namespaces", "", namespace) if namespace else None
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                yield namespace

    def initial_keys(self) -> Iterable[Hashable]:
        for ns in self.registry.storage.items("/namespaces"):
            if ns["metadata"].get("deletionTimestamp"):
                yield ns["metadata"]["name"]

    async def reconcile(self, key: Hashable) -> float | None:
        name = str(key)
        namespaces = self.registry.catalog.by_key("/namespaces")
        assert namespaces is not None
        ns = self.registry.find(namespaces, "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        remaining = 0
        for rtype in self.registry.catalog.all():
            if not rtype.namespaced:
                continue
            for obj in list(self.registry.storage.items(rtype.key, name)):
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                try:
                    await deletion.delete(
                        self.registry,
                        rtype,
                        name,
                        obj["metadata"]["name"],
                        {"propagationPolicy": "Background"},
                    )
                except errors.ApiError as exc:
                    if exc.code != 404:
                        raise
        if remaining:
            return RECHECK
        new = copy.deepcopy(ns)
        new.setdefault("spec", {})["finalizers"] = []
        await self.registry.write(namespaces, ns, new, sub="finalize")
        return None
