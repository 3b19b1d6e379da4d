"""Status from the launcher Job and the workers (mpi.md §10), and what later syncs then do.

Covers AC-7 (discover_hosts.sh lists Running workers in index order — our fix of upstream's string sort),
AC-12 (Running), AC-13 (success, and success before Running was seen), AC-14 (BackoffLimitExceeded with the
newest failed pod's detail), AC-15 (deadline; TTL-deleted Job not recreated), AC-21 (eviction), AC-27
(launcher pod retried by the Job), AC-28 (launcher Job deleted while running is recreated).
"""

import pytest

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

T = "2025-01-02T03:00:00Z"
COMPLETE = {"type": "Complete", "status": "True"}


def created_job(**kwargs):
    job = a_job(**kwargs)
    first = sync(job)
    return with_status(job, first), existing(first)


def conditions(plan):
    return [(c["type"], c["status"], c["reason"]) for c in status_of(plan)["conditions"]]


def launcher_pod(phase="Running", **kwargs):
    return a_pod(f"pi-launcher-{phase.lower()}", role="launcher", owner="uid-launcher", phase=phase, **kwargs)


def running_state(worker_phase="Running", worker_count=2, **kwargs):
    job, children = created_job(**kwargs)
    pods = [*workers(worker_count, phase=worker_phase), launcher_pod()]
    return job, merged(children, pods=pods, objects=[launcher_record()])


def test_ac7_discover_hosts_in_index_order():
    job, children = created_job(name="j", namespace="ns", workers=12)
    phases = {0: "Running", 2: "Running", 10: "Running"}
    pods = [a_pod(f"j-worker-{i}", job="j", index=i, phase=phases.get(i, "Pending")) for i in range(12)]
    plan = sync(job, merged(children, pods=pods))
    [update] = [u for u in plan.updates if u.kind == "ConfigMap"]
    assert update.patch["data"]["discover_hosts.sh"] == (
        "#!/bin/sh\necho j-worker-0.j.ns.svc\necho j-worker-2.j.ns.svc\necho j-worker-10.j.ns.svc\n"
    )
    hostfile = update.patch["data"]["hostfile"].splitlines()
    assert hostfile == [f"j-worker-{i}.j.ns.svc slots=1" for i in range(12)]
    assert status_of(plan)["replicaStatuses"]["Worker"] == {"active": 3}
    assert all(c["type"] != "Running" for c in status_of(plan)["conditions"])


@pytest.mark.parametrize(
    ("worker_phase", "running", "worker_status"),
    [
        pytest.param("Running", True, {"active": 2}, id="AC-12-all-running"),
        pytest.param("Pending", False, {}, id="AC-12-workers-pending"),
    ],
)
def test_ac12_running_needs_launcher_and_every_worker(worker_phase, running, worker_status):
    job, observed = running_state(worker_phase)
    plan = sync(job, observed)
    assert status_of(plan)["replicaStatuses"] == {"Launcher": {"active": 1}, "Worker": worker_status}
    if running:
        assert conditions(plan) == [
            ("Created", "True", "MPIJobCreated"),
            ("Running", "True", "MPIJobRunning"),
        ]
        assert status_of(plan)["conditions"][1]["message"] == "MPIJob default/pi is running."
        assert [(e.reason, e.message) for e in plan.events] == [
            ("MPIJobRunning", "MPIJob default/pi is running")
        ]
    else:
        assert ("Running", "True", "MPIJobRunning") not in conditions(plan)


def test_ac13_success_then_silence():
    job, observed = running_state()
    job = with_status(job, sync(job, observed))
    done = merged(observed, objects=[launcher_record(conditions=[COMPLETE], completion_time=T)])
    plan = sync(job, done)
    assert conditions(plan) == [
        ("Created", "True", "MPIJobCreated"),
        ("Running", "False", "MPIJobRunning"),
        ("Succeeded", "True", "MPIJobSucceeded"),
    ]
    assert status_of(plan)["conditions"][1]["lastTransitionTime"] == NOW_TEXT  # untouched by the flip
    assert status_of(plan)["completionTime"] == T
    assert status_of(plan)["replicaStatuses"] == {"Launcher": {"succeeded": 1}, "Worker": {}}
    assert ("Normal", "MPIJobSucceeded", "MPIJob default/pi successfully completed.") in [
        (e.type, e.reason, e.message) for e in plan.events
    ]
    assert plan.creates == ()
    assert plan.deletes == ()
    later = sync(with_status(job, plan), done)
    assert later.idle
    assert later.events == ()


def test_ac13_success_before_running_was_seen():
    job, children = created_job()
    plan = sync(job, merged(children, objects=[launcher_record(conditions=[COMPLETE], completion_time=T)]))
    # AC-13's variant with our order: the synthetic Running=False goes before Succeeded, so the State column
    # (the last condition) says Succeeded (docs/differences/mpi.md)
    assert conditions(plan) == [
        ("Created", "True", "MPIJobCreated"),
        ("Running", "False", "MPIJobRunning"),
        ("Succeeded", "True", "MPIJobSucceeded"),
    ]
    never = status_of(plan)["conditions"][1]
    assert never["message"] == "MPIJob default/pi is finished but Running condition was never set."
    assert never["lastUpdateTime"] == never["lastTransitionTime"] == T


BACKOFF = {
    "type": "Failed",
    "status": "True",
    "reason": "BackoffLimitExceeded",
    "message": "Job has reached the specified backoff limit",
}


@pytest.mark.parametrize(
    ("newest_reason", "newest_message", "reason", "message"),
    [
        pytest.param(
            "FailedReason2",
            "second message",
            "BackoffLimitExceeded/FailedReason2",
            "Job has reached the specified backoff limit: second message",
            id="AC-14",
        ),
        pytest.param(
            "",
            "",
            "BackoffLimitExceeded/",
            "Job has reached the specified backoff limit: ",
            id="AC-14-empty-pod",
        ),
    ],
)
def test_ac14_backoff_limit_names_the_newest_failed_pod(newest_reason, newest_message, reason, message):
    job, children = created_job(name="test")
    older = a_pod(
        "test-launcher-a",
        job="test",
        role="launcher",
        owner="uid-launcher",
        phase="Failed",
        reason="FailedReason1",
        message="first message",
        created="2025-01-01T00:00:00Z",
    )
    newer = a_pod(
        "test-launcher-b",
        job="test",
        role="launcher",
        owner="uid-launcher",
        phase="Failed",
        reason=newest_reason,
        message=newest_message,
        created="2025-01-01T00:05:00Z",
    )
    failed = launcher_record("test", conditions=[BACKOFF], failed=2)
    plan = sync(job, merged(children, pods=[newer, older], objects=[failed]))
    assert conditions(plan) == [
        ("Created", "True", "MPIJobCreated"),
        ("Running", "False", "MPIJobRunning"),
        ("Failed", "True", reason),  # last: the State column shows Failed (ours; upstream ends with Running)
    ]
    assert status_of(plan)["conditions"][2]["message"] == message
    assert status_of(plan)["completionTime"] == NOW_TEXT
    assert status_of(plan)["replicaStatuses"] == {"Launcher": {"failed": 2}, "Worker": {}}
    assert ("Warning", reason, message) in [(e.type, e.reason, e.message) for e in plan.events]


def test_ac15_deadline_and_ttl():
    policy = {"activeDeadlineSeconds": 600, "backoffLimit": 3, "ttlSecondsAfterFinished": 60}
    job = a_job(runPolicy=policy)
    first = sync(job)
    [launcher] = [c.body for c in first.creates if c.kind == "Job"]
    assert {k: launcher["spec"][k] for k in policy} == policy
    deadline = {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}
    deadline["message"] = "Job was active longer than specified deadline"
    job = with_status(job, first)
    failed = sync(job, merged(existing(first), objects=[launcher_record(conditions=[deadline])]))
    failure = next(c for c in status_of(failed)["conditions"] if c["type"] == "Failed")
    assert (failure["reason"], failure["message"]) == ("DeadlineExceeded", deadline["message"])
    # the TTL controller deletes the Job: the finished job is left alone, the launcher is not recreated
    children = existing(first)
    without_job = merged(children)
    without_job = type(without_job)(
        without_job.pods, without_job.services, tuple(o for o in without_job.objects if o.kind != "Job")
    )
    later = sync(with_status(job, failed), without_job)
    assert later.idle


def test_ac21_eviction_fails_without_completing():
    job, observed = running_state(worker_count=4, workers=4)
    job = with_status(job, sync(job, observed))
    evicted = a_pod("pi-worker-3", index=3, phase="Failed", reason="Evicted")
    plan = sync(job, merged(observed, pods=[evicted]))
    assert conditions(plan)[-1] == ("Failed", "True", "MPIJobEvicted")
    assert status_of(plan)["conditions"][-1]["message"] == "1/4 workers are evicted"
    assert ("Running", "False", "MPIJobRunning") in conditions(plan)
    assert status_of(plan)["replicaStatuses"]["Worker"] == {"active": 3, "failed": 1}
    assert "completionTime" not in status_of(plan)
    assert [e.reason for e in plan.events] == ["MPIJobEvicted"]
    assert not any(m.name.endswith("failed_total") for m in plan.metrics)
    assert plan.creates == ()


def test_a_launcher_that_succeeds_after_an_eviction_flips_failed_back():
    # mpi.md §11.2: eviction sets Failed without completionTime, reconciliation goes on, and a later launcher
    # success turns Failed to False and adds Succeeded (upstream's TestLauncherSucceededAfterEviction shape)
    job, observed = running_state(worker_count=2, workers=2)
    job = with_status(job, sync(job, observed))
    evicted = merged(observed, pods=[a_pod("pi-worker-1", index=1, phase="Failed", reason="Evicted")])
    job = with_status(job, sync(job, evicted))
    complete = launcher_record(conditions=[COMPLETE], completion_time=T)
    plan = sync(job, merged(evicted, objects=[complete]))
    assert conditions(plan)[-2:] == [
        ("Failed", "False", "MPIJobEvicted"),
        ("Succeeded", "True", "MPIJobSucceeded"),
    ]
    assert status_of(plan)["completionTime"] == T
    assert [e.reason for e in plan.events] == ["MPIJobSucceeded"]


def test_ac27_retried_launcher_pod_only_counts():
    job, observed = running_state()
    job = with_status(job, sync(job, observed))
    retried = merged(observed, pods=[launcher_pod("Failed")], objects=[launcher_record(failed=1)])
    plan = sync(job, retried)
    assert status_of(plan)["replicaStatuses"]["Launcher"] == {"active": 1, "failed": 1}
    assert all(c["type"] != "Failed" for c in status_of(plan)["conditions"])
    assert plan.deletes == ()
    assert plan.creates == ()


def test_ac28_deleted_launcher_job_is_recreated():
    job, observed = running_state()
    job = with_status(job, sync(job, observed))
    gone = type(observed)(
        observed.pods, observed.services, tuple(o for o in observed.objects if o.kind != "Job")
    )
    plan = sync(job, gone)
    [launcher] = [c for c in plan.creates if c.kind == "Job"]
    assert launcher.body == next(c for c in sync(a_job()).creates if c.kind == "Job").body
