"""Pod status from container records: containerStatuses, phase-dependent conditions, as the kubelet reports.

Pure: the pod worker owns the records and the phase decision (it knows the restart policy outcome); this
module renders them in the wire shape and derives Initialized / ContainersReady / Ready /
PodReadyToStartContainers by upstream's rules.
"""

from dataclasses import dataclass, field
from typing import Any

from training_operator.local import conditions


@dataclass(slots=True)
class ContainerRecord:
    """What the kubelet knows about one container."""

    name: str
    image: str
    init: bool = False
    restart_count: int = 0
    state: dict[str, Any] = field(default_factory=lambda: {"waiting": {"reason": "ContainerCreating"}})
    last_state: dict[str, Any] = field(default_factory=dict)
    ready: bool = False
    started: bool = False
    attempt: int = -1  # index of the current log file; -1 before the first start

    def wire(self) -> dict[str, Any]:
        """One entry of status.containerStatuses."""
        status: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imageID": "",
            "ready": self.ready,
            "restartCount": self.restart_count,
            "started": self.started,
            "state": self.state,
            "lastState": self.last_state,
        }
        running = self.state.get("running") or self.state.get("terminated")
        if running and running.get("containerID"):
            status["containerID"] = running["containerID"]
        return status

    @property
    def done(self) -> bool:
        """Terminated (for an init container: terminated successfully)."""
        terminated = self.state.get("terminated")
        return terminated is not None and (not self.init or terminated.get("exitCode") == 0)


def render(
    *,
    phase: str,
    init: list[ContainerRecord],
    main: list[ContainerRecord],
    existing: dict[str, Any],
    pod_ip: str | None,
    host_ip: str,
    start_time: str | None,
    now: str,
    reason: str = "",
    message: str = "",
) -> dict[str, Any]:
    """The full pod status, keeping conditions others own (PodScheduled)."""
    status: dict[str, Any] = {key: existing[key] for key in ("qosClass",) if key in existing}
    status["phase"] = phase
    status["hostIP"] = host_ip
    status["hostIPs"] = [{"ip": host_ip}]
    if pod_ip:
        status["podIP"] = pod_ip
        status["podIPs"] = [{"ip": pod_ip}]
    if start_time:
        status["startTime"] = start_time
    if reason:
        status["reason"] = reason
    if message:
        status["message"] = message
    if init:
        status["initContainerStatuses"] = [r.wire() for r in init]
    status["containerStatuses"] = [r.wire() for r in main]
    conds = existing.get("conditions")
    terminal = phase in ("Succeeded", "Failed")
    conds = conditions.set_condition(
        conds, "PodReadyToStartContainers", "False" if terminal else "True", now=now
    )
    pending_init = [r.name for r in init if not r.done]
    conds = conditions.set_condition(
        conds,
        "Initialized",
        "False" if pending_init and not terminal else "True",
        now=now,
        reason="ContainersNotInitialized" if pending_init and not terminal else "",
        message=f"containers with incomplete status: [{' '.join(pending_init)}]"
        if pending_init and not terminal
        else "",
    )
    unready = [r.name for r in main if not r.ready]
    for kind in ("ContainersReady", "Ready"):
        if terminal:
            conds = conditions.set_condition(conds, kind, "False", now=now, reason="PodCompleted")
        elif unready:
            conds = conditions.set_condition(
                conds,
                kind,
                "False",
                now=now,
                reason="ContainersNotReady",
                message=f"containers with unready status: [{' '.join(unready)}]",
            )
        else:
            conds = conditions.set_condition(conds, kind, "True", now=now)
    order = {
        "PodReadyToStartContainers": 0,
        "Initialized": 1,
        "Ready": 2,
        "ContainersReady": 3,
        "PodScheduled": 4,
    }
    status["conditions"] = sorted(conds, key=lambda c: order.get(c.get("type", ""), 9))
    return status


def exit_reason(code: int, *, killed_by_us: bool) -> str:
    """Completed / Error / OOMKilled (a SIGKILL nobody here sent is the kernel's OOM killer, most likely)."""
    if code == 0:
        return "Completed"
    if code == 137 and not killed_by_us:
        return "OOMKilled"
    return "Error"
