"""The fault-injection world: the integration world (cluster, api, operator, second_operator, kit) plus what
judging a faulted run against a fault-free one needs.

* `Ledger`: every committed change to pods, services and TFJobs, taken from the cluster's storage itself
  (not from a watch, which the faults cut): which child names were created how often (by uid), every job
  status ever stored (to find condition regressions), and when each job was deleted. It can also fire a
  callback on the Nth change, which is how "SIGKILL at a random instant" lands exactly after a commit.
* `Actor`: the test's own API calls (the user and the stand-in kubelet), counted so that the operator's
  writes are the server's write counters minus ours.
* `World.live`: one TFJob's whole life (children, user edits, Running, Succeeded), returning an `Outcome`
  with names made job-independent, so a faulted job compares equal to a fault-free `control` job.

The integration conftest is loaded by file path (pytest's importlib mode gives test folders no importable
names) and its fixtures re-exported, so nothing of it is copied here.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import copy
import importlib.util
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.local.cluster import NODE_NAME, LocalCluster
from training_operator.local.kubelet.network import cluster_id
from training_operator.local.storage import Change

_spec = importlib.util.spec_from_file_location(
    "faults_integration_world", Path(__file__).parent.parent / "integration" / "conftest.py"
)
assert _spec is not None
assert _spec.loader is not None
_world = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_world)

cluster = _world.cluster
api = _world.api
operator = _world.operator
second_operator = _world.second_operator
kit = _world.kit
Operator = _world.Operator
eventually: Callable[..., Any] = _world.eventually
WRITE_VERBS: tuple[str, ...] = _world.WRITE_VERBS

NS = "/api/v1/namespaces/default"
TFJOBS = "/apis/kubeflow.org/v1/namespaces/default/tfjobs"
USER_LABEL = {"example.com/user-edit": "kept"}
USER_ANNOTATION = {"example.com/note": "kept"}
RECONCILES = "training_operator_reconcile_duration_seconds_count"
DEPTH = "training_operator_workqueue_depth"
ACTIVE = "training_operator_workqueue_active_workers"
# Running and Restarting replace each other; finishing flips Running to False (core.engine.conditions)
MAY_LEAVE_TRUE = {"Running": ("Restarting", "Succeeded", "Failed"), "Restarting": ("Running",)}


# -- every test leaves nothing behind ------------------------------------------------------------------

MEMORY_HEADROOM = 1 << 30  # a fault or fuzz test may grow the process by 1 GiB, no more


@pytest.fixture(autouse=True)
def leaves_nothing_behind(tmp_path: Path) -> Any:
    """Passing or failing, a test gets at most 1 GiB more memory, and leaves no process and no namespace.

    Past the headroom an allocation raises MemoryError inside the test, instead of the kernel killing the
    whole run (as a 2**31-replica fuzz case once did at 23.6 GB), which orphaned an operator process and 23
    network namespaces. Afterwards every process the test started is stopped and every network namespace of
    a local cluster whose state dir lies under its tmp_path is deleted.
    """
    before = _descendants()
    soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = _data_bytes() + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_DATA, (limit if hard < 0 else min(limit, hard), hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, (soft, hard))
        _stop(_descendants() - before)
        _remove_namespaces(tmp_path)


def _data_bytes() -> int:
    """This process's data segment (VmData: heap and private anonymous mappings), which RLIMIT_DATA bounds."""
    found = re.search(r"VmData:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(found.group(1)) * 1024 if found else 0


def _descendants() -> set[int]:
    """Every live process below this one."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _stop(pids: set[int]) -> None:
    """SIGTERM, then SIGKILL what is still there after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + 10
        while (pids := pids & _descendants()) and time.monotonic() < deadline:
            time.sleep(0.1)


def _remove_namespaces(tmp_path: Path) -> None:
    """Delete the network namespaces of clusters whose state dir is under tmp_path (and only those)."""
    root = Path("/run/netns")
    if not root.is_dir() or shutil.which("ip") is None:
        return
    prefixes = {f"tol{cluster_id(folder)}-" for folder in [tmp_path, *tmp_path.glob("**/")]}
    for name in sorted(p.name for p in root.iterdir()):
        if any(name.startswith(prefix) for prefix in prefixes):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, check=False)


# -- the ledger ---------------------------------------------------------------------------------------


@dataclass
class Ledger:
    """Changes straight from storage: creations by child name, job statuses, deletions, a change counter."""

    creations: dict[tuple[str, str, str], list[str]] = field(
        default_factory=lambda: collections.defaultdict(list)
    )
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: collections.defaultdict(list))
    deleted: dict[str, float] = field(default_factory=dict)
    changes: int = 0
    triggers: list[tuple[int, Callable[[], None]]] = field(default_factory=list)
    #: the resources followed: the jobs' (statuses, deletions) and their children's (creations)
    jobs: tuple[str, ...] = ("tfjobs",)
    children_of: tuple[str, ...] = ("pods", "services")

    def __call__(self, change: Change) -> None:
        kind = change.resource.rpartition("/")[2]
        if kind not in self.jobs and kind not in self.children_of:
            return
        self.changes += 1
        obj = change.object
        meta = obj.get("metadata") or {}
        if kind in self.jobs:
            if change.type == "DELETED" and change.old is not None:
                self.deleted.setdefault(meta["uid"], time.monotonic())
            elif change.type != "DELETED":
                self.statuses[meta["uid"]].append(copy.deepcopy(obj.get("status") or {}))
        elif change.type == "ADDED":
            owner = next((r["uid"] for r in meta.get("ownerReferences") or [] if r.get("controller")), "")
            self.creations[(owner, kind, meta["name"])].append(meta["uid"])
        for when, fire in list(self.triggers):
            if self.changes >= when:
                self.triggers.remove((when, fire))
                fire()

    def at_change(self, count: int, fire: Callable[[], None]) -> None:
        """Call `fire` synchronously inside the commit of change number `count` (or the next one)."""
        self.triggers.append((count, fire))

    def children(self, job_uid: str) -> dict[str, int]:
        """`kind/name` → how many objects of that name were created for this job."""
        return {f"{k}/{n}": len(uids) for (owner, k, n), uids in self.creations.items() if owner == job_uid}

    def regressions(self, job_uid: str) -> list[str]:
        """Condition types that left True although no condition that may replace them came."""
        found: list[str] = []
        true_before: set[str] = set()
        for number, status in enumerate(self.statuses[job_uid]):
            now = {c["type"] for c in status.get("conditions") or [] if c.get("status") == "True"}
            found.extend(
                f"status #{number}: {gone} went from True to {sorted(now)}"
                for gone in sorted(true_before - now)
                if not any(successor in now for successor in MAY_LEAVE_TRUE.get(gone, ()))
            )
            true_before = now
        return found


@pytest.fixture
def ledger_factory() -> type[Ledger]:
    return Ledger


@pytest.fixture
def ledger(cluster: LocalCluster) -> Ledger:
    recording = Ledger()
    cluster.storage.listen(recording)
    return recording


# -- the test's own requests ----------------------------------------------------------------------------


def _label(method: str, path: str) -> str:
    """The server's `verb resource` counter key of one of our requests (named objects in a namespace)."""
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, "get")
    parts = path.split("/namespaces/", 1)[1].split("/")[1:]  # plural, [name, [subresource]]
    return f"{verb} {'/'.join([parts[0], *parts[2:3]])}"


class Actor:
    """The user and the stand-in kubelet: API calls that are counted, so the operator's can be told apart."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.writes: collections.Counter[str] = collections.Counter()

    async def request(self, method: str, path: str, body: Any = None, *, merge: bool = False) -> Any:
        if method != "GET":
            self.writes[_label(method, path)] += 1
        kind = "application/merge-patch+json" if merge else "application/json"
        return await self.api.request(method, path, body=body, content_type=kind)

    async def operator_writes(self) -> collections.Counter[str]:
        """Write requests the server counted since the last reset, minus ours (leases left out)."""
        counts = (await self.api.request("GET", "/debug/requests"))["requests"]
        theirs = collections.Counter(
            {k: n for k, n in counts.items() if k.split()[0] in WRITE_VERBS and "leases" not in k}
        )
        theirs.subtract(self.writes)
        return +theirs

    async def reset(self) -> None:
        await self.api.request("DELETE", "/debug/requests")
        self.writes.clear()

    # the kubelet's part: bind, run, finish (no processes: only what a kubelet would write)
    async def pods_of(self, job: str) -> list[dict[str, Any]]:
        listing = await self.api.request("GET", f"{NS}/pods")
        return [p for p in listing["items"] if (p["metadata"].get("labels") or {}).get(_JOB_LABEL) == job]

    async def set_phase(self, pod: Mapping[str, Any], phase: str) -> None:
        name = pod["metadata"]["name"]
        await self.bind(pod)
        await self.request("PATCH", f"{NS}/pods/{name}/status", _pod_status(pod, phase), merge=True)

    async def bind(self, pod: Mapping[str, Any]) -> None:
        """Bind a pod that was unbound when read. The cluster's scheduler binds new pods too, and may have
        done so since: its 409 ("already assigned") means the pod is on the one node, as wanted."""
        if pod["spec"].get("nodeName"):
            return
        name = pod["metadata"]["name"]
        binding = {"metadata": {"name": name}, "target": {"kind": "Node", "name": NODE_NAME}}
        try:
            await self.request("POST", f"{NS}/pods/{name}/binding", binding)
        except ApiError as error:
            if error.status != 409:
                raise


_JOB_LABEL = "training.kubeflow.org/job-name"


def _pod_status(pod: Mapping[str, Any], phase: str) -> dict[str, Any]:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if phase == "Running":
        state: dict[str, Any] = {"running": {"startedAt": stamp}}
    else:
        code = 0 if phase == "Succeeded" else 1
        reason = "Completed" if phase == "Succeeded" else "Error"
        state = {"terminated": {"exitCode": code, "reason": reason, "startedAt": stamp, "finishedAt": stamp}}
    statuses = [
        {"name": c["name"], "ready": phase == "Running", "restartCount": 0, "image": "local", "state": state}
        for c in pod["spec"]["containers"]
    ]
    return {"status": {"phase": phase, "startTime": stamp, "containerStatuses": statuses}}


# -- one job's life and its judgement ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A finished job with its name taken out: comparable between a faulted run and a fault-free one."""

    uid: str
    conditions: tuple[tuple[str, str, str], ...]
    replica_statuses: str
    children: dict[str, int]
    writes: collections.Counter[str]


def tfjob(name: str, *, workers: int = 2, **run_policy: Any) -> dict[str, Any]:
    body: dict[str, Any] = _world.tfjob(name, workers=workers)
    if run_policy:
        body["spec"]["runPolicy"] = run_policy
    return body


class World:
    """The pieces of one fault case, and one job's life through them."""

    def __init__(self, api: ApiClient, operator: Any, ledger: Ledger) -> None:
        self.api = api
        self.actor = Actor(api)
        self.operator = operator
        self.ledger = ledger
        #: wait after each kubelet change until the operator counted it (`kubelet`); a case that blinds the
        #: operator on purpose (a stalled watch) turns it off
        self.paced = True

    async def job(self, name: str) -> dict[str, Any]:
        return await self.api.request("GET", f"{TFJOBS}/{name}")

    async def condition(self, name: str, type_: str) -> bool:
        try:
            status = (await self.job(name)).get("status") or {}
        except ApiError:
            return False
        return any(c["type"] == type_ and c["status"] == "True" for c in status.get("conditions") or [])

    async def children_exist(self, name: str, count: int) -> bool:
        pods = await self.actor.pods_of(name)
        services = await self.api.request("GET", f"{NS}/services")
        mine = [s for s in services["items"] if s["metadata"]["name"].startswith(f"{name}-")]
        return (
            len(pods) == count
            and len(mine) == count
            and not any(p["metadata"].get("deletionTimestamp") for p in pods)
        )

    async def confirm_deletions(self, name: str) -> None:
        """Play the kubelet for job `name`'s terminating pods until cancelled: without a kubelet a bound pod
        stays Terminating, so confirm each deletion (grace period 0) as a kubelet does once it stopped it."""
        while True:
            for pod in await self.actor.pods_of(name):
                if pod["metadata"].get("deletionTimestamp"):
                    path = f"{NS}/pods/{pod['metadata']['name']}?gracePeriodSeconds=0"
                    with contextlib.suppress(ApiError):  # already gone
                        await self.api.request("DELETE", path)
            await asyncio.sleep(0.05)

    async def fault(self, **rule: Any) -> None:
        """Install a fault rule (`/debug/faults`)."""
        await self.api.request("POST", "/debug/faults", body=rule)

    async def clear_faults(self) -> None:
        await self.api.request("DELETE", "/debug/faults")

    async def debug(self) -> dict[str, Any]:
        return await self.api.request("GET", "/debug/requests")

    async def cut_watches(self) -> None:
        await self.api.request("POST", "/debug/watches/cut", body={})

    async def settled(self, operator: Any = None) -> bool:
        """The (given) operator reconciles and has nothing queued."""
        running = operator or self.operator
        if running.process is None:
            return False
        done = await running.sample(RECONCILES, controller="tfjob-controller")
        if done < 1 or await running.sample(DEPTH, controller="tfjob-controller") != 0:
            return False
        return await running.sample(ACTIVE, controller="tfjob-controller") == 0  # none running either

    async def live(
        self, name: str, *, workers: int = 2, during: Mapping[str, Callable[[], Any]] | None = None
    ) -> Outcome:
        """Create a job, edit it as a user would, run and finish its pods; `during[step]` runs after a step:
        "created" (children and Created exist), "edited" (user edits made, pods set Running), "running"
        (the job is Running), "finished" (pods set Succeeded, not yet awaited)."""
        hooks = during or {}
        await self.actor.reset()
        body = tfjob(name, workers=workers)
        uid = (await self.actor.request("POST", TFJOBS, body))["metadata"]["uid"]
        await eventually(lambda: self.children_exist(name, workers), what=f"{name}'s children", within=60)
        await eventually(lambda: self.condition(name, "Created"), what=f"{name} Created", within=60)
        await self._run_hook(hooks, "created")
        first = (await self.actor.pods_of(name))[0]["metadata"]["name"]
        await self.actor.request(
            "PATCH", f"{TFJOBS}/{name}", {"metadata": {"labels": USER_LABEL}}, merge=True
        )
        await self.actor.request(
            "PATCH", f"{NS}/pods/{first}", {"metadata": {"annotations": USER_ANNOTATION}}, merge=True
        )
        for pod in await self.actor.pods_of(name):
            await self.kubelet(name, pod, "Running")
        await self._run_hook(hooks, "edited")
        await eventually(lambda: self.condition(name, "Running"), what=f"{name} Running", within=60)
        await self._run_hook(hooks, "running")
        # worker 0 decides a TFJob's success: it finishes last, so the job never finishes with a pod still
        # Running (which cleanPodPolicy would delete, and the replica counts would then depend on timing)
        pods = sorted(await self.actor.pods_of(name), key=lambda p: p["metadata"]["name"], reverse=True)
        for pod in pods:
            await self.kubelet(name, pod, "Succeeded")
        await self._run_hook(hooks, "finished")
        await eventually(lambda: self.condition(name, "Succeeded"), what=f"{name} Succeeded", within=60)
        await eventually(lambda: self._all_succeeded(name, workers), what=f"{name}'s replica counts")
        await eventually(self.settled, what="the operator idle", within=60)
        job = await self.job(name)
        assert (job["metadata"].get("labels") or {}).items() >= USER_LABEL.items(), "the user's label is lost"
        annotations = (await self.api.request("GET", f"{NS}/pods/{first}"))["metadata"].get("annotations")
        assert (annotations or {}).items() >= USER_ANNOTATION.items(), "the user's annotation is lost"
        assert self.ledger.regressions(uid) == []
        status = job["status"]
        return Outcome(
            uid=uid,
            conditions=tuple((c["type"], c["status"], c["reason"]) for c in status["conditions"]),
            replica_statuses=json.dumps(status.get("replicaStatuses"), sort_keys=True).replace(name, "JOB"),
            children={k.replace(name, "JOB", 1): n for k, n in self.ledger.children(uid).items()},
            writes=await self.actor.operator_writes(),
        )

    async def kubelet(self, name: str, pod: Mapping[str, Any], phase: str) -> None:
        """One kubelet change, then wait until the operator has counted it and is idle again: two changes
        are never folded into one reconcile by timing, so every run of a life makes the same writes (an
        intermediate status, an `ExitedWithCode` repeat) and extra writes measure faults, not luck."""
        await self.actor.set_phase(pod, phase)
        if self.paced:
            await eventually(
                lambda: self.counted(name, phase), what=f"{name}: a pod {phase} counted", within=60
            )
            await eventually(self.settled, what="the operator idle", within=60)

    async def counted(self, name: str, phase: str) -> bool:
        """The job's replica statuses count every pod of it in `phase` (or, for Succeeded, it is done)."""
        key = {"Running": "active", "Succeeded": "succeeded"}[phase]
        pods = [p for p in await self.actor.pods_of(name) if (p.get("status") or {}).get("phase") == phase]
        status = (await self.job(name)).get("status") or {}
        counts = sum(int((c or {}).get(key) or 0) for c in (status.get("replicaStatuses") or {}).values())
        finished = any(
            c["type"] in ("Succeeded", "Failed") and c["status"] == "True"
            for c in status.get("conditions") or []
        )
        return counts >= len(pods) if phase == "Running" else counts >= len(pods) or finished

    async def _all_succeeded(self, name: str, workers: int) -> bool:
        replicas = ((await self.job(name)).get("status") or {}).get("replicaStatuses") or {}
        return (replicas.get("Worker") or {}).get("succeeded") == workers

    @staticmethod
    async def _run_hook(hooks: Mapping[str, Callable[[], Any]], step: str) -> None:
        if step in hooks:
            result = hooks[step]()
            if hasattr(result, "__await__"):
                await result


def extra_writes(faulted: Outcome, control: Outcome) -> int:
    """Operator writes beyond the fault-free run's (never negative: fewer is not a credit)."""
    return sum((faulted.writes - control.writes).values())


def assert_same_life(faulted: Outcome, control: Outcome) -> None:
    """Same conditions and replica statuses as the fault-free run, every child exactly once."""
    assert faulted.conditions == control.conditions
    assert faulted.replica_statuses == control.replica_statuses
    assert faulted.children == control.children
    assert set(faulted.children.values()) == {1}, faulted.children


@pytest.fixture
async def world(api: ApiClient, operator: Any, ledger: Ledger) -> World:
    return World(api, operator, ledger)


def kill(running: Any) -> None:
    """SIGKILL an operator process now (synchronously: usable inside a ledger trigger)."""
    if running.process is not None and running.process.returncode is None:
        running.process.send_signal(signal.SIGKILL)


async def kill_and_restart(running: Any, ledger: Ledger, instants: list[int], killed: list[int]) -> None:
    """SIGKILL `running` inside the commit of each change number in `instants` (counted from now), and start
    it again each time; an instant that passed while it was restarting kills it as soon as it is back.

    Meant to run as a task beside a job's life; the change number of each kill goes into `killed`."""
    start = ledger.changes
    for instant in instants:
        fired = asyncio.Event()

        def fire(event: asyncio.Event = fired) -> None:
            killed.append(ledger.changes - start)
            kill(running)
            event.set()

        if ledger.changes - start >= instant:
            fire()
        else:
            ledger.at_change(start + instant, fire)
        await fired.wait()
        await running.stop(signal.SIGKILL)
        await running.start()


class Kit:
    """The helpers above, as a fixture (test modules cannot import this conftest)."""

    eventually = staticmethod(eventually)
    kill = staticmethod(kill)
    kill_and_restart = staticmethod(kill_and_restart)
    assert_same_life = staticmethod(assert_same_life)
    extra_writes = staticmethod(extra_writes)
    tfjob = staticmethod(tfjob)
    ApiError = ApiError
    signal = signal
    TFJOBS = TFJOBS
    NS = NS


@pytest.fixture
def faults() -> type[Kit]:
    return Kit


# -- every kind (issue 18): the lives of tests/faults/kinds.py ----------------------------------------------

_kinds_spec = importlib.util.spec_from_file_location("faults_kinds", Path(__file__).parent / "kinds.py")
assert _kinds_spec is not None
assert _kinds_spec.loader is not None
kinds = importlib.util.module_from_spec(_kinds_spec)
sys.modules[_kinds_spec.name] = kinds  # its dataclasses look their module up
_kinds_spec.loader.exec_module(kinds)


@pytest.fixture
def lives(world: World, operator: Any) -> Any:
    """Jobs of every kind, judged like the TFJob world; the operator serves all of them, the ledger follows
    every kind of child."""
    world.ledger.jobs, world.ledger.children_of = kinds.JOB_PLURALS, kinds.CHILD_PLURALS
    operator.schemes = kinds.SCHEMES
    return kinds.Lives(world, eventually)
