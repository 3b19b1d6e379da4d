"""Suspension, resumption, completion clean-up and scale-down (mpi.md §11–§13).

Covers AC-16 (cleanPodPolicy Running/All/None on a finished job, PodGroup deletion), AC-17 (created
suspended), AC-18 (suspending a running job), AC-19 (resuming: Job startTime cleared, placement carried into
the launcher, startTime reset) and AC-22 (scale-down deletes surplus workers and rewrites the hostfile).
"""

from typing import Any

import pytest

from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.mpi.testing import (
    NOW_TEXT,
    a_job,
    a_pod,
    existing,
    launcher_record,
    merged,
    status_of,
    sync,
    with_status,
    workers,
)

COMPLETE = {"type": "Complete", "status": "True"}
FINISHED = {
    "conditions": [
        {"type": "Created", "status": "True", "reason": "MPIJobCreated", "message": "m"},
        {"type": "Succeeded", "status": "True", "reason": "MPIJobSucceeded", "message": "m"},
    ],
    "completionTime": "2025-01-01T00:00:00Z",
    "replicaStatuses": {"Launcher": {"succeeded": 1}, "Worker": {"active": 1, "succeeded": 1, "failed": 1}},
}
POD_GROUP = ObjectRecord("scheduling.volcano.sh/v1beta1", "PodGroup", "pi", "uid-pg", "uid-mpijob")


@pytest.mark.parametrize(
    ("policy", "deleted"),
    [
        pytest.param("Running", ["pi-worker-0", "pi-worker-3", "pi"], id="AC-16-running"),
        pytest.param(
            "All", ["pi-worker-0", "pi-worker-1", "pi-worker-2", "pi-worker-3", "pi"], id="AC-16-all"
        ),
        pytest.param("None", [], id="AC-16-none"),
    ],
)
def test_ac16_finished_job_clean_up(policy, deleted):
    job = a_job(workers=4, runPolicy={"cleanPodPolicy": policy}, status=FINISHED)
    phases = ["Running", "Succeeded", "Failed", "Pending"]
    pods = [a_pod(f"pi-worker-{i}", index=i, phase=p) for i, p in enumerate(phases)]
    plan = sync(job, Snapshot(pods=tuple(pods), objects=(POD_GROUP,)), gang_scheduler_name="volcano")
    assert [d.name for d in plan.deletes] == deleted
    assert plan.creates == ()
    if deleted:
        assert status_of(plan)["replicaStatuses"]["Worker"] == {}
    else:
        assert plan.idle


def test_ac17_created_suspended():
    for creation in ("AtStartup", "WaitForWorkersReady"):
        plan = sync(
            a_job(runPolicy={"suspend": True}, launcherCreationPolicy=creation), gang_scheduler_name="volcano"
        )
        assert [c.kind for c in plan.creates] == ["Service", "ConfigMap", "Secret", "Job"]
        [launcher] = [c.body for c in plan.creates if c.kind == "Job"]
        assert launcher["spec"]["suspend"] is True
        got = [(c["type"], c["status"], c["reason"], c["message"]) for c in status_of(plan)["conditions"]]
        assert got == [
            ("Created", "True", "MPIJobCreated", "MPIJob default/pi is created."),
            ("Suspended", "True", "MPIJobSuspended", "MPIJob suspended"),
            ("Running", "False", "MPIJobSuspended", "MPIJob default/pi is suspended."),
        ]
        assert status_of(plan)["replicaStatuses"] == {"Launcher": {}, "Worker": {}}
        assert "startTime" not in status_of(plan)
        assert ("Normal", "MPIJobSuspended") in [(e.type, e.reason) for e in plan.events]


def test_ac18_suspending_a_running_job():
    job = a_job(workers=8)
    first = sync(job)
    pods = [*workers(8), a_pod("pi-launcher-x", role="launcher", owner="uid-launcher")]
    observed = merged(existing(first), pods=pods, objects=[launcher_record(), POD_GROUP])
    job = with_status(job, sync(with_status(job, first), observed))
    assert job.status is not None
    started = job.status.start_time
    suspended = a_job(workers=8, runPolicy={"suspend": True}, status=job.status.to_wire())
    plan = sync(suspended, observed, gang_scheduler_name="volcano")
    assert [(u.kind, u.patch) for u in plan.updates if u.kind == "Job"] == [
        ("Job", {"spec": {"suspend": True}})
    ]
    assert [d.name for d in plan.deletes] == [f"pi-worker-{i}" for i in range(8)] + ["pi"]
    got = {c["type"]: (c["status"], c["reason"], c["message"]) for c in status_of(plan)["conditions"]}
    assert got["Suspended"] == ("True", "MPIJobSuspended", "MPIJob suspended")
    assert got["Running"] == ("False", "MPIJobSuspended", "MPIJob default/pi is suspended.")
    assert status_of(plan)["replicaStatuses"] == {"Launcher": {"active": 1}, "Worker": {}}
    assert status_of(plan)["startTime"] == started


@pytest.mark.parametrize(
    ("policy", "deleted"),
    [
        pytest.param("Running", ["pi-worker-0", "pi-worker-3"], id="running-keeps-finished-workers"),
        pytest.param(
            "None", ["pi-worker-0", "pi-worker-1", "pi-worker-2", "pi-worker-3"], id="none-deletes-all"
        ),
    ],
)
def test_suspending_cleans_workers_by_clean_pod_policy(policy, deleted):
    # mpi.md §12.2/§13.2: suspension uses the same clean-up as completion, except that None deletes every
    # worker; Running keeps the Succeeded and Failed ones
    phases = ["Running", "Succeeded", "Failed", "Pending"]
    pods = [a_pod(f"pi-worker-{i}", index=i, phase=phase) for i, phase in enumerate(phases)]
    first = sync(a_job(workers=4, runPolicy={"cleanPodPolicy": policy}))
    observed = merged(existing(first), pods=pods, objects=[launcher_record()])
    suspended = a_job(workers=4, runPolicy={"cleanPodPolicy": policy, "suspend": True}, status=first.status)
    plan = sync(suspended, observed)
    assert sorted(d.name for d in plan.deletes if d.kind == "Pod") == deleted
    assert status_of(plan)["replicaStatuses"]["Worker"] == {}


RESUME_TEMPLATE: dict[str, Any] = {
    "metadata": {"annotations": {"kueue.x-k8s.io/workload": "my-workload"}},
    "spec": {
        "containers": [{"name": "l"}],
        "nodeSelector": {"foo": "bar"},
        "tolerations": [{"key": "gpu", "value": "true", "effect": "NoSchedule"}],
        "schedulingGates": [{"name": "kueue.x-k8s.io/topology"}],
    },
}


@pytest.mark.parametrize(
    "job_start_time",
    [pytest.param("2025-01-01T00:00:00Z", id="AC-19-started"), pytest.param(None, id="AC-19-never-started")],
)
def test_ac19_resuming(job_start_time):
    first = sync(a_job(runPolicy={"suspend": True}))
    [launcher_body] = [c.body for c in first.creates if c.kind == "Job"]
    old_template = launcher_body["spec"]["template"]
    launcher = launcher_record(suspend=True, start_time=job_start_time, template=old_template)
    observed = merged(existing(first), objects=[launcher])
    resumed = a_job(runPolicy={"suspend": False}, launcher={"template": RESUME_TEMPLATE}, status=first.status)
    plan = sync(resumed, observed)
    assert [c.name for c in plan.creates] == ["pi-worker-0", "pi-worker-1"]
    job_updates = [(u.subresource, u.patch) for u in plan.updates if u.kind == "Job"]
    if job_start_time:
        assert job_updates[0] == ("status", {"status": {"startTime": None}})
    spec_patch = job_updates[-1][1]["spec"]
    assert spec_patch["suspend"] is False
    pod = spec_patch["template"]["spec"]
    assert pod["nodeSelector"] == {"foo": "bar"}
    assert pod["tolerations"] == RESUME_TEMPLATE["spec"]["tolerations"]
    assert pod["schedulingGates"] == RESUME_TEMPLATE["spec"]["schedulingGates"]
    assert spec_patch["template"]["metadata"]["annotations"] == {"kueue.x-k8s.io/workload": "my-workload"}
    assert len(job_updates) == (2 if job_start_time else 1)
    suspended = next(c for c in status_of(plan)["conditions"] if c["type"] == "Suspended")
    assert (suspended["status"], suspended["reason"], suspended["message"]) == (
        "False",
        "MPIJobResumed",
        "MPIJob resumed",
    )
    assert status_of(plan)["startTime"] == NOW_TEXT
    assert ("Normal", "MPIJobResumed") in [(e.type, e.reason) for e in plan.events]


def test_ac22_scale_down():
    job = a_job(workers=4)
    first = sync(job)
    observed = merged(existing(first), pods=workers(4), objects=[launcher_record()])
    scaled = a_job(workers=2, status=first.status)
    plan = sync(scaled, observed)
    assert [d.name for d in plan.deletes] == ["pi-worker-2", "pi-worker-3"]
    [update] = [u for u in plan.updates if u.kind == "ConfigMap"]
    assert (
        update.patch["data"]["hostfile"]
        == "pi-worker-0.pi.default.svc slots=1\npi-worker-1.pi.default.svc slots=1\n"
    )
    assert status_of(plan)["replicaStatuses"]["Worker"] == {"active": 2}


def test_scale_down_with_launcher_as_worker_keeps_the_last_wanted_worker():
    # fix of Q10: upstream reads the shifted index label and also deletes worker R-1
    first = sync(a_job(workers=3, runLauncherAsWorker=True))
    observed = merged(existing(first), pods=workers(3, shift=1), objects=[launcher_record()])
    plan = sync(a_job(workers=2, runLauncherAsWorker=True, status=first.status), observed)
    assert [d.name for d in plan.deletes] == ["pi-worker-2"]
