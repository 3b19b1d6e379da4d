"""The scheduler: binds every pending pod to the one node, unless it asks for what the node lacks.

Fit is checked for extended resources (`nvidia.com/gpu` and friends) and nodeSelector only; CPU and memory
are recorded but over-committed, because one laptop must run a whole job's replicas. A pod that does not
fit stays Pending with PodScheduled=False/Unschedulable and the upstream-style message.
"""

import copy
from collections.abc import Hashable, Iterable
from typing import Any, cast

from training_operator.local import conditions, events, metadata, selectors
from training_operator.local.controllers.base import Controller
from training_operator.local.registry import Registry
from training_operator.local.resources import ResourceType
from training_operator.local.storage import Change

_BASIC = frozenset({"cpu", "memory", "ephemeral-storage", "pods", "hugepages-2Mi", "hugepages-1Gi"})
RETRY_UNSCHEDULABLE = 5.0


def extended_requests(pod: dict[str, Any]) -> dict[str, int]:
    """Requested amounts of extended resources (limits count as requests for them, as upstream)."""
    totals: dict[str, int] = {}
    for container in pod.get("spec", {}).get("containers") or []:
        resources = container.get("resources") or {}
        merged = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
        for name, amount in merged.items():
            if name not in _BASIC:
                try:
                    totals[name] = totals.get(name, 0) + int(str(amount))
                except ValueError:
                    continue
    return totals


def unfit_reasons(pod: dict[str, Any], node: dict[str, Any], used: dict[str, int]) -> list[str]:
    """Why the pod cannot go on the node (empty when it fits)."""
    reasons = []
    allocatable = node.get("status", {}).get("allocatable") or {}
    for name, amount in extended_requests(pod).items():
        if amount + used.get(name, 0) > int(str(allocatable.get(name, "0"))):
            reasons.append(f"Insufficient {name}")
    wanted = pod.get("spec", {}).get("nodeSelector") or {}
    if wanted and not selectors.labels_match(selectors.selector_from_match({"matchLabels": wanted}), node):
        reasons.append("node(s) didn't match Pod's node affinity/selector")
    return reasons


class Scheduler(Controller):
    """Binds pods to `node_name`."""

    watched = frozenset({"/pods"})

    def __init__(self, registry: Registry, *, node_name: str) -> None:
        super().__init__(registry)
        self.node_name = node_name
        pods = registry.catalog.by_key("/pods")
        assert pods is not None
        self.pods: ResourceType = pods

    def keys_for(self, change: Change) -> Iterable[Hashable]:
        meta = change.object["metadata"]
        if change.type != "DELETED" and not change.object.get("spec", {}).get("nodeName"):
            yield (meta["namespace"], meta["name"])

    def initial_keys(self) -> Iterable[Hashable]:
        for pod in self.registry.storage.items("/pods"):
            if not pod["spec"].get("nodeName"):
                yield (pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _used(self) -> dict[str, int]:
        used: dict[str, int] = {}
        for pod in self.registry.storage.items("/pods"):
            if pod["spec"].get("nodeName") == self.node_name and pod.get("status", {}).get("phase") not in (
                "Succeeded",
                "Failed",
            ):
                for name, amount in extended_requests(pod).items():
                    used[name] = used.get(name, 0) + amount
        return used

    async def reconcile(self, key: Hashable) -> float | None:
        namespace, name = cast(tuple[str, str], key)
        pod = self.registry.find(self.pods, namespace, name)
        if pod is None or pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return None
        if pod["spec"].get("schedulerName", "default-scheduler") != "default-scheduler":
            return None
        node = self.registry.storage.get("/nodes", "", self.node_name)
        assert node is not None
        now = metadata.timestamp(self.registry.clock())
        reasons = unfit_reasons(pod, node, self._used())
        if reasons:
            message = (
                f"0/1 nodes are available: {', '.join(f'1 {r}' for r in reasons)}. "
                "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
            )
            status = copy.deepcopy(pod.get("status") or {})
            status["conditions"] = conditions.set_condition(
                status.get("conditions"),
                "PodScheduled",
                "False",
                now=now,
                reason="Unschedulable",
                message=message,
                probe_time=True,
            )
            if status != pod.get("status"):
                await self.registry.write(self.pods, pod, {**pod, "status": status}, sub="status")
                await events.record(
                    self.registry,
                    pod,
                    reason="FailedScheduling",
                    message=message,
                    component="default-scheduler",
                    type_="Warning",
                )
            return RETRY_UNSCHEDULABLE
        bound = copy.deepcopy(pod)
        bound["spec"]["nodeName"] = self.node_name
        pod = await self.registry.write(self.pods, pod, bound)
        status = copy.deepcopy(pod.get("status") or {})
        status["conditions"] = conditions.set_condition(
            status.get("conditions"), "PodScheduled", "True", now=now
        )
        await self.registry.write(self.pods, pod, {**pod, "status": status}, sub="status")
        await events.record(
            self.registry,
            pod,
            reason="Scheduled",
            component="default-scheduler",
            message=f"Successfully assigned {namespace}/{name} to {self.node_name}",
        )
        return None
