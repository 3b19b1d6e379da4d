"""The fault world for every kind (issue 18): TFJob, PyTorchJob with a Master, an elastic PyTorchJob with its
HPA, MPIJob (launcher Job, ConfigMap, Secret, the hostfile rewritten when workers run), XGBoostJob, and the
later kinds PaddleJob (PS mode: a Master and Workers) and JAXJob.

A `Kind` says how a job of it is built, which children the operator makes for it at once, and how the stand-in
kubelet runs and finishes its pods. `Lives.live` plays one job's whole life with the steps and the judgement
of the TFJob world (conftest.World): every child exactly once, no condition leaving True without a
successor, the user's label and annotation kept, and an end comparable with a fault-free control, including
the contents the operator keeps up to date (the MPI hostfile ConfigMap, the HPA).

Loaded by the faults conftest by file path (test folders have no importable names); it imports nothing of
the conftest: the world's pieces come in as arguments.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

NS = "/api/v1/namespaces/default"
V1 = "/apis/kubeflow.org/v1/namespaces/default"
JOB_LABEL = "training.kubeflow.org/job-name"
USER_LABEL = {"example.com/user-edit": "kept"}
USER_ANNOTATION = {"example.com/note": "kept"}
#: every kind a fault case may run, so one operator serves them all
SCHEMES = ("tfjob", "pytorchjob", "xgboostjob", "mpijob", "paddlejob", "jaxjob")
#: what the ledger follows for them: the jobs, and every kind of child the operator creates
JOB_PLURALS = ("tfjobs", "pytorchjobs", "xgboostjobs", "mpijobs", "paddlejobs", "jaxjobs")
CHILD_PLURALS = ("pods", "services", "configmaps", "secrets", "jobs", "horizontalpodautoscalers")


def container(name: str) -> dict[str, Any]:
    return {"name": name, "image": "local", "command": ["true"]}


def replica(name: str, count: int, restart_policy: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"replicas": count, "template": {"spec": {"containers": [container(name)]}}}
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    return spec


Body = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """One kind of job as the fault world plays it."""

    id: str
    kind: str
    plural: str
    api: str
    controller: str
    body: Body
    #: `plural/name` of what the operator creates for a job at once
    children: Callable[[str], list[str]]
    #: pods finish in this order (the one that decides success last, so counts never depend on timing)
    finish_order: Callable[[list[str]], list[str]]
    #: the pods to move to Succeeded ("all" but MPI, whose launcher alone decides)
    finishing: Callable[[str, list[str]], list[str]]
    #: the replica statuses once the job is over
    final_counts: Mapping[str, Mapping[str, int]]
    #: objects whose contents the operator keeps current, compared with the control (`plural/name`)
    kept: Callable[[str], list[str]] = lambda name: []
    #: pods that must exist before the kubelet can run them all (MPI's launcher pod comes from its Job)
    pod_count: int = 0

    def path(self, name: str = "") -> str:
        return f"{self.api}/{self.plural}" + (f"/{name}" if name else "")


def _pods_and_services(*names: str) -> Callable[[str], list[str]]:
    return lambda job: [f"{kind}/{job}-{n}" for kind in ("pods", "services") for n in names]


def _job(kind: str, api_version: str, key: str, specs: dict[str, Any], **spec: Any) -> Body:
    def body(name: str) -> dict[str, Any]:
        return {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, "namespace": "default"},
            "spec": {**spec, key: specs},
        }

    return body


def _reverse(names: list[str]) -> list[str]:
    return sorted(names, reverse=True)


def _workers_then_master(names: list[str]) -> list[str]:
    return sorted(names, key=lambda n: ("master" in n, n))


ELASTIC = {
    "minReplicas": 1,
    "maxReplicas": 3,
    "metrics": [
        {
            "type": "Resource",
            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
        }
    ],
}


def _v1(id: str, kind: str, key: str, specs: dict[str, Any], **rest: Any) -> Kind:
    """A `kubeflow.org/v1` kind: its plural, path, controller name and body follow from the kind's name;
    every pod finishes (the pod that decides success last, by `finish_order`). Keys of `rest` that are
    `Kind` fields go there, the others into the job's spec (`elasticPolicy`)."""
    fields = {k: rest.pop(k) for k in list(rest) if k in Kind.__dataclass_fields__}
    return Kind(
        id=id,
        kind=kind,
        plural=f"{kind.lower()}s",
        api=V1,
        controller=f"{kind.lower()}-controller",
        body=_job(kind, "kubeflow.org/v1", key, specs, **rest),
        finishing=lambda job, pods: pods,
        **fields,
    )


KINDS = {
    "tfjob": _v1(
        "tfjob",
        "TFJob",
        "tfReplicaSpecs",
        {"Worker": replica("tensorflow", 2, "Never")},
        children=_pods_and_services("worker-0", "worker-1"),
        finish_order=_reverse,  # worker 0 decides a TFJob: last
        final_counts={"Worker": {"succeeded": 2}},
    ),
    "pytorch-master": _v1(
        "pytorch-master",
        "PyTorchJob",
        "pytorchReplicaSpecs",
        {"Master": replica("pytorch", 1), "Worker": replica("pytorch", 2)},
        children=_pods_and_services("master-0", "worker-0", "worker-1"),
        finish_order=_workers_then_master,
        final_counts={"Master": {"succeeded": 1}, "Worker": {"succeeded": 2}},
    ),
    "pytorch-elastic": _v1(
        "pytorch-elastic",
        "PyTorchJob",
        "pytorchReplicaSpecs",
        {"Worker": replica("pytorch", 2)},
        elasticPolicy=ELASTIC,
        children=lambda job: [
            f"horizontalpodautoscalers/{job}",
            *_pods_and_services("worker-0", "worker-1")(job),
        ],
        finish_order=_reverse,
        final_counts={"Worker": {"succeeded": 2}},
        kept=lambda job: [f"horizontalpodautoscalers/{job}"],
    ),
    "xgboost": _v1(
        "xgboost",
        "XGBoostJob",
        "xgbReplicaSpecs",
        {"Master": replica("xgboost", 1), "Worker": replica("xgboost", 1)},
        children=_pods_and_services("master-0", "worker-0"),
        finish_order=_workers_then_master,
        final_counts={"Master": {"succeeded": 1}, "Worker": {"succeeded": 1}},
    ),
    "paddle": _v1(
        "paddle",
        "PaddleJob",
        "paddleReplicaSpecs",
        {"Master": replica("paddle", 1), "Worker": replica("paddle", 2)},
        children=_pods_and_services("master-0", "worker-0", "worker-1"),
        finish_order=_workers_then_master,  # PS mode: the Master decides, last
        final_counts={"Master": {"succeeded": 1}, "Worker": {"succeeded": 2}},
    ),
    "jax": _v1(
        "jax",
        "JAXJob",
        "jaxReplicaSpecs",
        {"Worker": replica("jax", 2)},
        children=_pods_and_services("worker-0", "worker-1"),
        finish_order=_reverse,
        final_counts={"Worker": {"succeeded": 2}},
    ),
    "mpijob": Kind(
        id="mpijob",
        kind="MPIJob",
        plural="mpijobs",
        api="/apis/kubeflow.org/v2beta1/namespaces/default",
        controller="mpi-operator",
        body=_job(
            "MPIJob",
            "kubeflow.org/v2beta1",
            "mpiReplicaSpecs",
            {"Launcher": replica("mpi", 1), "Worker": replica("mpi", 2)},
        ),
        children=lambda job: [
            f"services/{job}",
            f"configmaps/{job}-config",
            f"secrets/{job}-ssh",
            f"pods/{job}-worker-0",
            f"pods/{job}-worker-1",
            f"jobs/{job}-launcher",
        ],
        finish_order=_reverse,
        # the launcher Job's pod decides; the workers run sshd until the job is deleted
        finishing=lambda job, pods: [p for p in pods if p.startswith(f"{job}-launcher")],
        final_counts={"Launcher": {"succeeded": 1}, "Worker": {}},
        kept=lambda job: [f"configmaps/{job}-config"],
        pod_count=3,
    ),
}


@dataclass(frozen=True)
class KindOutcome:
    """A finished job with its name taken out (as conftest.Outcome), plus the contents the operator keeps."""

    uid: str
    conditions: tuple[tuple[str, str, str], ...]
    replica_statuses: str
    children: dict[str, int]
    writes: collections.Counter[str]
    contents: str


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def pod_status(
    pod: Mapping[str, Any], phase: str, *, restarts: int = 0, exit_code: int | None = None
) -> dict:
    """What a kubelet would write: the phase, and each container running or terminated."""
    stamp = _stamp()
    if phase == "Running":
        state: dict[str, Any] = {"running": {"startedAt": stamp}}
    else:
        code = exit_code if exit_code is not None else (0 if phase == "Succeeded" else 1)
        reason = "Completed" if code == 0 else "Error"
        state = {"terminated": {"exitCode": code, "reason": reason, "startedAt": stamp, "finishedAt": stamp}}
    statuses = [
        {
            "name": c["name"],
            "ready": phase == "Running",
            "restartCount": restarts,
            "image": "local",
            "state": state,
        }
        for c in pod["spec"]["containers"]
    ]
    conditions = [{"type": "Ready", "status": "True" if phase == "Running" else "False"}]
    return {
        "status": {
            "phase": phase,
            "startTime": stamp,
            "containerStatuses": statuses,
            "conditions": conditions,
        }
    }


class Lives:
    """One job's life of any kind, played against the world's cluster and operator."""

    KINDS = KINDS

    def __init__(self, world: Any, eventually: Callable[..., Awaitable[Any]]) -> None:
        self.world = world
        self.api = world.api
        self.actor = world.actor
        self.ledger = world.ledger
        self.eventually = eventually

    async def job(self, kind: Kind, name: str) -> dict[str, Any]:
        return await self.api.request("GET", kind.path(name))

    async def condition(self, kind: Kind, name: str, type_: str) -> bool:
        try:
            status = (await self.job(kind, name)).get("status") or {}
        except Exception:
            return False
        return any(c["type"] == type_ and c["status"] == "True" for c in status.get("conditions") or [])

    async def exists(self, path: str) -> dict[str, Any] | None:
        plural, _, name = path.partition("/")
        base = "/apis/batch/v1/namespaces/default" if plural == "jobs" else NS
        if plural == "horizontalpodautoscalers":
            base = "/apis/autoscaling/v2/namespaces/default"
        try:
            return await self.api.request("GET", f"{base}/{plural}/{name}")
        except Exception:
            return None

    async def children_exist(self, kind: Kind, name: str) -> bool:
        for path in kind.children(name):
            found = await self.exists(path)
            if found is None or found["metadata"].get("deletionTimestamp"):
                return False
        return True

    async def set_phase(self, pod: Mapping[str, Any], phase: str, **status: Any) -> None:
        """Bind (if needed) and write the pod's status, as the kubelet would."""
        name = pod["metadata"]["name"]
        await self.actor.bind(pod)  # unless the cluster's scheduler was first
        await self.actor.request(
            "PATCH", f"{NS}/pods/{name}/status", pod_status(pod, phase, **status), merge=True
        )

    async def pod(self, name: str) -> dict[str, Any]:
        return await self.api.request("GET", f"{NS}/pods/{name}")

    async def pods(self, name: str, count: int) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]] | None:
            pods = [p for p in await self.actor.pods_of(name) if not p["metadata"].get("deletionTimestamp")]
            return pods if len(pods) >= count else None

        return await self.eventually(enough, what=f"{count} pods of {name}", within=60)

    async def kubelet(self, kind: Kind, name: str, pod: Mapping[str, Any], phase: str) -> None:
        """One kubelet change, then wait until the operator counted it and is idle (as World.kubelet)."""
        await self.set_phase(pod, phase)
        await self.eventually(
            lambda: self.counted(kind, name, phase), what=f"a pod {phase} counted", within=60
        )
        await self.eventually(lambda: self.settled(kind), what="the operator idle", within=60)

    async def counted(self, kind: Kind, name: str, phase: str) -> bool:
        """The job's replica statuses count its pods in `phase` (for Succeeded: or the job is done)."""
        key = {"Running": "active", "Succeeded": "succeeded"}[phase]
        pods = [p for p in await self.actor.pods_of(name) if (p.get("status") or {}).get("phase") == phase]
        status = (await self.job(kind, name)).get("status") or {}
        counts = sum(int((c or {}).get(key) or 0) for c in (status.get("replicaStatuses") or {}).values())
        finished = any(
            c["type"] in ("Succeeded", "Failed") and c["status"] == "True"
            for c in status.get("conditions") or []
        )
        return counts >= len(pods) or (phase == "Succeeded" and finished)

    async def settled(self, kind: Kind) -> bool:
        running = self.world.operator
        if running.process is None:
            return False
        labels = {"controller": kind.controller}
        done = await running.sample("training_operator_reconcile_duration_seconds_count", **labels)
        depth = await running.sample("training_operator_workqueue_depth", **labels)
        active = await running.sample("training_operator_workqueue_active_workers", **labels)
        return done >= 1 and depth == 0 and active == 0

    async def live(
        self, kind: Kind, name: str, *, during: Mapping[str, Callable[[], Any]] | None = None
    ) -> KindOutcome:
        """Create, edit as a user would, run, finish; `during[step]` runs after "created", "edited",
        "running" and "finished" (as in conftest.World.live)."""
        hooks = during or {}
        await self.actor.reset()
        uid = (await self.actor.request("POST", kind.path(), kind.body(name)))["metadata"]["uid"]
        await self.eventually(lambda: self.children_exist(kind, name), what=f"{name}'s children", within=60)
        await self.eventually(
            lambda: self.condition(kind, name, "Created"), what=f"{name} Created", within=60
        )
        await _hook(hooks, "created")
        pods = await self.pods(
            name, kind.pod_count or len([c for c in kind.children(name) if c.startswith("pods/")])
        )
        first = sorted(p["metadata"]["name"] for p in pods)[0]
        await self.actor.request("PATCH", kind.path(name), {"metadata": {"labels": USER_LABEL}}, merge=True)
        await self.actor.request(
            "PATCH", f"{NS}/pods/{first}", {"metadata": {"annotations": USER_ANNOTATION}}, merge=True
        )
        for pod in pods:
            await self.kubelet(kind, name, await self.pod(pod["metadata"]["name"]), "Running")
        await _hook(hooks, "edited")
        await self.eventually(
            lambda: self.condition(kind, name, "Running"), what=f"{name} Running", within=60
        )
        await _hook(hooks, "running")
        names = kind.finish_order([p["metadata"]["name"] for p in pods])
        for pod_name in kind.finishing(name, names):
            await self.kubelet(kind, name, await self.pod(pod_name), "Succeeded")
        await _hook(hooks, "finished")
        await self.eventually(
            lambda: self.condition(kind, name, "Succeeded"), what=f"{name} Succeeded", within=60
        )
        await self.eventually(
            lambda: self._final_counts(kind, name), what=f"{name}'s replica counts", within=60
        )
        await self.eventually(lambda: self.settled(kind), what="the operator idle", within=60)
        return await self.outcome(kind, name, uid, first)

    async def outcome(self, kind: Kind, name: str, uid: str, first: str) -> KindOutcome:
        job = await self.job(kind, name)
        assert (job["metadata"].get("labels") or {}).items() >= USER_LABEL.items(), "the user's label is lost"
        annotations = (await self.pod(first))["metadata"].get("annotations") or {}
        assert annotations.items() >= USER_ANNOTATION.items(), "the user's annotation is lost"
        assert self.ledger.regressions(uid) == []
        status = job["status"]
        return KindOutcome(
            uid=uid,
            conditions=tuple((c["type"], c["status"], c["reason"]) for c in status["conditions"]),
            replica_statuses=_anonymous(status.get("replicaStatuses"), name),
            children={k.replace(name, "JOB", 1): n for k, n in self.ledger.children(uid).items()},
            writes=await self.actor.operator_writes(),
            contents=await self._contents(kind, name),
        )

    async def _final_counts(self, kind: Kind, name: str) -> bool:
        replicas = ((await self.job(kind, name)).get("status") or {}).get("replicaStatuses") or {}
        wanted = {t: {k: v for k, v in c.items() if v} for t, c in kind.final_counts.items()}
        found = {
            t: {
                k: v
                for k, v in (replicas.get(t) or {}).items()
                if k in ("active", "succeeded", "failed") and v
            }
            for t in wanted
        }
        return found == wanted

    async def _contents(self, kind: Kind, name: str) -> str:
        kept = {}
        for path in kind.kept(name):
            found = await self.exists(path) or {}
            kept[path.replace(name, "JOB", 1)] = {"data": found.get("data"), "spec": found.get("spec")}
        return _anonymous(kept, name)


def _anonymous(value: Any, name: str) -> str:
    return json.dumps(value, sort_keys=True).replace(name, "JOB")


async def _hook(hooks: Mapping[str, Callable[[], Any]], step: str) -> None:
    if step in hooks:
        result = hooks[step]()
        if hasattr(result, "__await__"):
            await result
