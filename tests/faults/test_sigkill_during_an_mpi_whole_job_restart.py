"""SIGKILL of the operator during an MPIJob's whole-job restart (runPolicy.wholeJobRestart, ours).

An MPIJob of a launcher Job and two workers runs; one worker fails (OnFailure: retried) and the operator is
killed inside the commit of one change of the restart — the status write recording attempt 1, the launcher
Job's deletion, a worker's, the garbage collector's and the kubelet's removals, the creates of the new
workers and launcher Job — and started again. Whatever the instant: the attempt is recorded exactly once,
each worker and the launcher Job are created exactly twice (once per attempt), each launcher Job makes one
pod, the Service, ConfigMap and Secret once; nothing of attempt 1 is created while anything of attempt 0
still exists; and the job then finishes Succeeded with one restart recorded. The changes after arming, as
recorded on this cluster: 1 the worker fails, 2 the status write of attempt 1, 3–4 the two workers' deletes,
5 the launcher Job's delete, 6 the garbage collector deletes its pod, 7 the kubelet removes that pod, 8 the
other worker's, 9 and 12 the new workers' creates (10–11 bind the first), 15 the new launcher Job's create.
"""

import asyncio

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.faults, pytest.mark.timeout(240)]
ATTEMPT = "training-operator.io/restart-attempt"
MPIJOBS = "/apis/kubeflow.org/v2beta1/namespaces/default/mpijobs"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
NAME = "mwjr"


class Attempts:
    """Straight from storage: which attempt's pods and Jobs exist, and whether a new one was created beside
    an old one."""

    def __init__(self) -> None:
        self.alive: dict[str, str] = {}
        self.mixed: list[str] = []

    def __call__(self, change) -> None:
        if not change.resource.endswith(("/pods", "batch/jobs")):
            return
        meta = change.object.get("metadata") or {}
        owned = meta.get("labels") or {}
        if NAME not in (owned.get("training.kubeflow.org/job-name"), owned.get("app")):
            return  # the launcher Job carries `app`, every pod the job name
        key = f"{change.resource}/{meta['name']}"
        attempt = (meta.get("labels") or {}).get(ATTEMPT, "")
        if change.type == "DELETED":
            self.alive.pop(key, None)
            return
        if change.type == "ADDED" and any(a != attempt for a in self.alive.values()):
            self.mixed.append(f"{key} (attempt {attempt}) created beside {self.alive}")
        self.alive[key] = attempt


def mpijob() -> dict:
    def replica(count: int) -> dict:
        container = {"name": "mpi", "image": "local", "command": ["true"]}
        return {
            "replicas": count,
            "restartPolicy": "OnFailure",
            "template": {"spec": {"containers": [container]}},
        }

    return {
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": {"name": NAME, "namespace": "default"},
        "spec": {
            "runPolicy": {"wholeJobRestart": {"maxRestarts": 3}},
            "mpiReplicaSpecs": {"Launcher": replica(1), "Worker": replica(2)},
        },
    }


async def live_pods(world) -> list[dict]:
    return [p for p in await world.actor.pods_of(NAME) if not p["metadata"].get("deletionTimestamp")]


async def attempt_running(lives, world, attempt: str) -> bool:
    """Both workers and the launcher's pod of `attempt` exist, and nothing else does."""
    pods = await world.actor.pods_of(NAME)
    launcher = await lives.exists(f"jobs/{NAME}-launcher")
    return (
        len(pods) == 3
        and all(p["metadata"]["labels"].get(ATTEMPT) == attempt for p in pods)
        and not any(p["metadata"].get("deletionTimestamp") for p in pods)
        and launcher is not None
        and launcher["metadata"]["labels"].get(ATTEMPT) == attempt
    )


async def mpijob_condition(lives, type_: str) -> bool:
    try:
        status = (await lives.api.request("GET", f"{MPIJOBS}/{NAME}")).get("status") or {}
    except Exception:
        return False
    return any(c["type"] == type_ and c["status"] == "True" for c in status.get("conditions") or [])


@pytest.mark.parametrize("instant", [pytest.param(n, id=f"change-{n}") for n in (2, 3, 5, 6, 7, 9, 12, 15)])
async def test_a_killed_operator_neither_loses_nor_repeats_an_mpi_attempt(
    lives, world, operator, ledger, faults, cluster, instant
):
    attempts = Attempts()
    cluster.storage.listen(attempts)
    await operator.start()
    uid = (await world.actor.request("POST", MPIJOBS, mpijob()))["metadata"]["uid"]
    await faults.eventually(lambda: attempt_running(lives, world, "0"), what="attempt 0's pods", within=60)
    for pod in await live_pods(world):
        await lives.set_phase(pod, "Running")
    await faults.eventually(lambda: mpijob_condition(lives, "Running"), what="Running", within=60)

    killed: list[int] = []
    chaos = asyncio.create_task(faults.kill_and_restart(operator, ledger, [instant], killed))
    kubelet = asyncio.create_task(world.confirm_deletions(NAME))
    try:
        [failing] = [p for p in await live_pods(world) if p["metadata"]["name"] == f"{NAME}-worker-1"]
        await lives.set_phase(failing, "Failed")  # change 1: exit code 1 under OnFailure
        await faults.eventually(
            lambda: attempt_running(lives, world, "1"), what="attempt 1's pods", within=90
        )
        await asyncio.wait_for(chaos, timeout=60)
    finally:
        for task in (chaos, kubelet):
            task.cancel()
        await asyncio.gather(chaos, kubelet, return_exceptions=True)

    assert killed == [instant], "the kill landed"
    mpi = lives.KINDS["mpijob"]
    await faults.eventually(lambda: lives.settled(mpi), what="the operator idle", within=60)
    job = await lives.api.request("GET", f"{MPIJOBS}/{NAME}")
    assert job["status"]["wholeJobRestarts"] == 1, "an attempt lost or repeated"
    assert ledger.children(uid) == {
        f"services/{NAME}": 1,
        f"configmaps/{NAME}-config": 1,
        f"secrets/{NAME}-ssh": 1,
        f"pods/{NAME}-worker-0": 2,
        f"pods/{NAME}-worker-1": 2,
        f"jobs/{NAME}-launcher": 2,
    }
    launcher_jobs = ledger.creations[(uid, "jobs", f"{NAME}-launcher")]
    pods_per_job = [
        sum(
            len(made)
            for (owner, kind, _), made in ledger.creations.items()
            if owner == job_uid and kind == "pods"
        )
        for job_uid in launcher_jobs
    ]
    assert pods_per_job == [1, 1], "a launcher pod duplicated"
    assert attempts.mixed == []

    pods = await live_pods(world)
    for pod in pods:
        await lives.set_phase(pod, "Running")
    [launcher] = [p for p in pods if p["metadata"]["name"].startswith(f"{NAME}-launcher")]
    await lives.set_phase(await lives.pod(launcher["metadata"]["name"]), "Succeeded")
    await faults.eventually(lambda: mpijob_condition(lives, "Succeeded"), what="Succeeded", within=60)
    assert (await lives.api.request("GET", f"{MPIJOBS}/{NAME}"))["status"]["wholeJobRestarts"] == 1
    assert ledger.regressions(uid) == []
