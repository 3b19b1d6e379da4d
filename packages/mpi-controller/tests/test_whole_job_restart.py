"""Whole-job restart of an MPIJob (ours, `spec.runPolicy.wholeJobRestart`; docs/run-policy-and-status.md).

Covers: without the policy the launcher Job and workers are as today; with it they carry the attempt label
and env var, `restartPolicy: Never`, and the launcher Job `backoffLimit: 0`; a failed launcher pod, a launcher
Job failed by its back-off, or a worker failed under OnFailure records the next attempt in one status write;
then the launcher Job and every worker are deleted (the launcher's pods go with their Job), nothing is
created while any of them exists, and all come back with the new attempt while the Service, ConfigMap
(hostfile) and Secret stay; a Never worker and a launcher out of time fail or go on as today; maxRestarts
fails the job; older-attempt children are deleted and never counted; a killed operator decides the same.
"""

from dataclasses import replace
from datetime import timedelta

import pytest

from training_operator.core import labels
from training_operator.core.engine import restart
from training_operator.core.engine.draft import JOBS_RESTARTED
from training_operator.core.engine.observed import ObjectRecord, PodRecord
from training_operator.core.testing import FakeCluster
from training_operator.mpi.plugin import FRAMEWORK
from training_operator.mpi.testing import NOW, job_body

LAUNCHER_JOB = "pi-launcher"
LAUNCHER_POD = f"{LAUNCHER_JOB}-abcde"
CONTROLLER = f"Job/{LAUNCHER_JOB}"
FAILED = {"type": "Failed", "status": "True"}


def new_cluster(worker_policy="OnFailure", *, run_policy=None, attempt=None):
    """A 2-worker MPIJob with the policy, as the operator first creates it."""
    policy = {"wholeJobRestart": {}} if run_policy is None else run_policy
    status = None if attempt is None else {restart.STATUS_FIELD: attempt}
    worker = {
        "restartPolicy": worker_policy,
        "template": {"spec": {"containers": [{"name": "w", "image": "mpi-pi"}]}},
    }
    body = job_body(worker=worker, runPolicy=policy, status=status)
    cluster = FakeCluster(FRAMEWORK, body)
    cluster.reconcile_until_quiet(NOW)
    return cluster


def launcher_job(cluster) -> ObjectRecord:
    return next(o for o in cluster.snapshot.objects if o.kind == "Job")


def start_launcher_pod(cluster, phase="Running"):
    """Play the Job controller and the kubelet: the launcher Job's pod, from its template."""
    job = launcher_job(cluster)
    template_labels = job.body["spec"]["template"]["metadata"]["labels"]
    pod = PodRecord(
        name=LAUNCHER_POD,
        uid="uid-launcher-pod",
        owner_uid=job.uid,
        labels=dict(template_labels),
        phase=phase,
        controller=CONTROLLER,
    )
    others = tuple(p for p in cluster.snapshot.pods if p.name != pod.name)
    cluster.snapshot = replace(cluster.snapshot, pods=(*others, pod))


def running_cluster(worker_policy="OnFailure", **kwargs):
    cluster = new_cluster(worker_policy, **kwargs)
    start_launcher_pod(cluster)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    return cluster


def set_phase(cluster, name, phase, reason=""):
    cluster.set_pods(lambda p: replace(p, phase=phase, reason=reason) if p.name == name else p)


def set_launcher_job_status(cluster, status):
    """Play the Job controller: the launcher Job's status."""
    job = launcher_job(cluster)
    body = {**job.body, "status": status}
    objects = tuple(replace(o, body=body) if o is job else o for o in cluster.snapshot.objects)
    cluster.snapshot = replace(cluster.snapshot, objects=objects)


def fail_launcher_job(cluster, reason="BackoffLimitExceeded"):
    set_launcher_job_status(cluster, {"failed": 1, "conditions": [{**FAILED, "reason": reason}]})


def complete_launcher_job(cluster):
    set_launcher_job_status(cluster, {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})


def garbage_collect_launcher_pods(cluster):
    """Kubernetes' garbage collector: pods whose Job is gone go too."""
    jobs = {o.uid for o in cluster.snapshot.objects if o.kind == "Job"}
    pods = tuple(p for p in cluster.snapshot.pods if p.controller != CONTROLLER or p.owner_uid in jobs)
    cluster.snapshot = replace(cluster.snapshot, pods=pods)


def hostfile_of(cluster):
    [config] = [o for o in cluster.snapshot.objects if o.kind == "ConfigMap"]
    return config.body["data"]["hostfile"]


def env_of(template):
    return {e["name"]: e["value"] for e in template["spec"]["containers"][0].get("env", [])}


def created(plan, kind):
    return [c.body for c in plan.creates if c.kind == kind]


def conditions(cluster):
    return [(c["type"], c["status"], c["reason"]) for c in cluster.status["conditions"]]


def test_without_the_policy_the_launcher_and_workers_are_as_today():
    cluster = FakeCluster(FRAMEWORK, job_body())
    plan = cluster.reconcile(NOW)
    [job] = created(plan, "Job")
    assert "backoffLimit" not in job["spec"]
    assert labels.RESTART_ATTEMPT not in job["metadata"]["labels"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    for pod in [job["spec"]["template"], *created(plan, "Pod")]:
        assert labels.RESTART_ATTEMPT not in pod["metadata"]["labels"]
        assert restart.ATTEMPT_ENV not in env_of(pod)


def test_the_first_attempt_is_labelled_told_and_never_retried_by_the_kubelet_or_the_job():
    plan = FakeCluster(FRAMEWORK, job_body(runPolicy={"wholeJobRestart": {}})).reconcile(NOW)
    [job] = created(plan, "Job")
    assert job["spec"]["backoffLimit"] == 0  # the attempt retries, never the launcher alone
    assert job["metadata"]["labels"][labels.RESTART_ATTEMPT] == "0"
    pods = [job["spec"]["template"], *created(plan, "Pod")]
    assert [p["metadata"]["labels"][labels.RESTART_ATTEMPT] for p in pods] == ["0", "0", "0"]
    assert [env_of(p)[restart.ATTEMPT_ENV] for p in pods] == ["0", "0", "0"]
    assert {p["spec"]["restartPolicy"] for p in pods} == {"Never"}


@pytest.mark.parametrize(
    ("fail", "replica_type"),
    [
        pytest.param(lambda c: set_phase(c, LAUNCHER_POD, "Failed"), "Launcher", id="launcher-pod"),
        pytest.param(fail_launcher_job, "Launcher", id="launcher-job-backoff"),
        pytest.param(lambda c: set_phase(c, "pi-worker-1", "Failed"), "Worker", id="worker-on-failure"),
        pytest.param(
            lambda c: set_phase(c, "pi-worker-0", "Failed", "Evicted"), "Worker", id="worker-evicted"
        ),
    ],
)
def test_a_retried_failure_records_the_next_attempt_in_one_status_write(fail, replica_type):
    cluster = running_cluster()
    fail(cluster)
    plan = cluster.reconcile(NOW)
    assert (plan.creates, plan.deletes, plan.updates) == ((), (), ())  # the decision is written first
    assert plan.writes == 1
    assert plan.status[restart.STATUS_FIELD] == 1
    condition = plan.status["conditions"][-1]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Restarting",
        "True",
        "MPIJobWholeJobRestart",
    )
    assert (
        f"{replica_type} replica(s) failed: attempt 1 (whole-job restart 1 of at most 6)"
        in (condition["message"])
    )
    assert [(e.type, e.reason) for e in plan.events] == [("Warning", "MPIJobWholeJobRestart")]
    assert sorted(m.name for m in plan.metrics) == sorted([restart.WHOLE_JOB_RESTARTS, JOBS_RESTARTED])
    assert not any(c["type"] == "Failed" for c in plan.status["conditions"])


def test_the_launcher_job_and_every_worker_go_then_all_come_back_and_the_rest_stays():
    cluster = running_cluster()
    kept = {(o.kind, o.name): o.uid for o in cluster.snapshot.objects if o.kind != "Job"}
    services = cluster.snapshot.services
    hostfile = hostfile_of(cluster)
    set_phase(cluster, "pi-worker-1", "Failed")
    cluster.reconcile(NOW)  # attempt 1 recorded
    deleting = cluster.reconcile(NOW)
    assert sorted((d.kind, d.name) for d in deleting.deletes) == [
        ("Job", LAUNCHER_JOB),
        ("Pod", "pi-worker-0"),
        ("Pod", "pi-worker-1"),
    ]  # the launcher's pod is not deleted on its own: it goes with its Job
    assert deleting.creates == ()
    waiting = cluster.reconcile(NOW)  # the launcher's old pod still exists
    assert waiting.idle
    garbage_collect_launcher_pods(cluster)
    again = cluster.reconcile(NOW)
    [job] = created(again, "Job")
    pods = [job["spec"]["template"], *created(again, "Pod")]
    assert sorted(c.name for c in again.creates) == [LAUNCHER_JOB, "pi-worker-0", "pi-worker-1"]
    assert job["metadata"]["labels"][labels.RESTART_ATTEMPT] == "1"
    assert [p["metadata"]["labels"][labels.RESTART_ATTEMPT] for p in pods] == ["1", "1", "1"]
    assert [env_of(p)[restart.ATTEMPT_ENV] for p in pods] == ["1", "1", "1"]
    assert {(o.kind, o.name): o.uid for o in cluster.snapshot.objects if o.kind != "Job"} == kept
    assert cluster.snapshot.services == services
    # the names are the same, so is the hostfile (discover_hosts.sh lists only running workers, as ever)
    assert hostfile_of(cluster) == hostfile


def test_a_restart_costs_one_delete_and_one_create_per_child_and_one_status_write():
    cluster = running_cluster()
    set_phase(cluster, LAUNCHER_POD, "Failed")
    plans = [cluster.reconcile(NOW), cluster.reconcile(NOW)]
    garbage_collect_launcher_pods(cluster)
    plans += cluster.reconcile_until_quiet(NOW)
    assert sum(len(p.deletes) for p in plans) == 3  # launcher Job and two workers
    assert sum(len(p.creates) for p in plans) == 3
    assert [p.status[restart.STATUS_FIELD] for p in plans if p.status is not None] == [1, 1]
    assert plans[0].writes == 1


def test_a_failed_never_worker_is_left_to_the_launcher_as_today():
    cluster = running_cluster("Never")
    set_phase(cluster, "pi-worker-1", "Failed")
    plan = cluster.reconcile(NOW)
    assert restart.STATUS_FIELD not in (plan.status or {})
    assert plan.deletes == ()
    fail_launcher_job(cluster)  # its mpirun lost a rank: the launcher fails, and that restarts the job
    assert cluster.reconcile(NOW).status[restart.STATUS_FIELD] == 1


def test_a_launcher_out_of_time_fails_the_job_as_today():
    cluster = running_cluster()
    set_phase(cluster, LAUNCHER_POD, "Failed", "DeadlineExceeded")
    fail_launcher_job(cluster, "DeadlineExceeded")
    plan = cluster.reconcile(NOW)
    assert restart.STATUS_FIELD not in plan.status
    assert ("Failed", "True", "DeadlineExceeded") in conditions(cluster)


def test_a_successful_launcher_is_not_undone_by_a_worker_failing_afterwards():
    cluster = running_cluster()
    complete_launcher_job(cluster)
    set_phase(cluster, "pi-worker-0", "Failed")
    plan = cluster.reconcile(NOW)
    assert restart.STATUS_FIELD not in plan.status
    assert ("Succeeded", "True", "MPIJobSucceeded") in conditions(cluster)


@pytest.mark.parametrize(
    ("run_policy", "allowed"),
    [
        ({"wholeJobRestart": {"maxRestarts": 2}, "backoffLimit": 5}, 2),
        ({"wholeJobRestart": {}, "backoffLimit": 3}, 3),
        ({"wholeJobRestart": {}}, 6),
    ],
)
def test_the_job_fails_once_its_restarts_are_used_up_and_a_running_launcher_is_stopped(run_policy, allowed):
    cluster = running_cluster(run_policy=run_policy, attempt=allowed)
    set_phase(cluster, "pi-worker-0", "Failed")
    plan = cluster.reconcile(NOW)
    failed = plan.status["conditions"][-1]
    message = f"Job pi has failed because it has reached the specified limit of {allowed} whole-job restarts"
    assert (failed["type"], failed["status"], failed["reason"], failed["message"]) == (
        "Failed",
        "True",
        "MPIJobFailed",
        message,
    )
    assert plan.status["completionTime"]
    assert plan.status[restart.STATUS_FIELD] == allowed
    assert [(d.kind, d.name) for d in plan.deletes] == [("Job", LAUNCHER_JOB)]  # mpirun must not go on
    assert ("Warning", "MPIJobFailed") in [(e.type, e.reason) for e in plan.events]


def test_max_restarts_zero_fails_a_failed_launcher_and_keeps_its_job_for_the_logs():
    cluster = running_cluster(run_policy={"wholeJobRestart": {"maxRestarts": 0}})
    fail_launcher_job(cluster)
    plan = cluster.reconcile(NOW)
    assert plan.status["conditions"][-1]["type"] == "Failed"
    assert plan.deletes == ()


def test_older_attempt_children_are_deleted_and_never_counted():
    cluster = running_cluster(attempt=1)  # its children were made for attempt 1
    before = cluster.status["replicaStatuses"]
    stale = replace(cluster.snapshot.pods[0], labels={**cluster.snapshot.pods[0].labels})
    stale = replace(stale, labels={**stale.labels, labels.RESTART_ATTEMPT: "0"}, phase="Succeeded")
    cluster.snapshot = replace(cluster.snapshot, pods=(stale, *cluster.snapshot.pods[1:]))
    plan = cluster.reconcile(NOW)
    assert [(d.kind, d.name) for d in plan.deletes] == [("Pod", stale.name)]
    assert plan.creates == ()
    assert plan.status is None
    assert cluster.status["replicaStatuses"] == before


def test_children_newer_than_the_stored_status_wait_for_the_job_to_catch_up():
    cluster = running_cluster()
    cluster.set_pods(lambda p: replace(p, labels={**p.labels, labels.RESTART_ATTEMPT: "1"}))
    plan = cluster.reconcile(NOW)
    assert (plan.creates, plan.deletes, plan.status) == ((), (), None)
    assert plan.requeue_after is not None


def test_an_operator_killed_anywhere_in_an_attempt_decides_the_same_from_the_api():
    cluster = running_cluster()
    set_phase(cluster, "pi-worker-0", "Failed")
    job, snapshot = cluster.job, cluster.snapshot
    first = cluster.reconcile(NOW)
    cluster.job, cluster.snapshot = job, snapshot  # killed before the status write landed
    assert cluster.reconcile(NOW) == first  # the same attempt, not a second one
    recorded = cluster.job
    deleting = cluster.reconcile(NOW)
    cluster.job = recorded  # a new operator: only the API's status and labels to go by
    cluster.snapshot = snapshot
    assert cluster.reconcile(NOW).deletes == deleting.deletes  # the same deletes, from the labels
    garbage_collect_launcher_pods(cluster)
    cluster.reconcile_until_quiet(NOW)
    assert cluster.status[restart.STATUS_FIELD] == 1
    assert sorted(p.name for p in cluster.snapshot.pods) == ["pi-worker-0", "pi-worker-1"]
    assert {p.labels[labels.RESTART_ATTEMPT] for p in cluster.snapshot.pods} == {"1"}
    assert launcher_job(cluster).labels[labels.RESTART_ATTEMPT] == "1"
    assert cluster.conflicts == []


def test_the_new_attempt_runs_and_succeeds_with_one_restart_recorded():
    cluster = running_cluster()
    set_phase(cluster, "pi-worker-1", "Failed")
    cluster.reconcile(NOW)
    cluster.reconcile(NOW)
    garbage_collect_launcher_pods(cluster)
    cluster.reconcile_until_quiet(NOW)
    start_launcher_pod(cluster)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    assert conditions(cluster)[-1] == ("Running", "True", "MPIJobRunning")
    assert cluster.status["replicaStatuses"] == {"Launcher": {"active": 1}, "Worker": {"active": 2}}
    complete_launcher_job(cluster)
    cluster.reconcile_until_quiet(NOW)
    assert ("Succeeded", "True", "MPIJobSucceeded") in conditions(cluster)
    assert cluster.status[restart.STATUS_FIELD] == 1


def test_each_attempts_launcher_gets_what_is_left_of_the_deadline():
    cluster = running_cluster(run_policy={"wholeJobRestart": {}, "activeDeadlineSeconds": 600})
    assert launcher_job(cluster).body["spec"]["activeDeadlineSeconds"] == 600
    later = NOW + timedelta(seconds=100)
    set_phase(cluster, LAUNCHER_POD, "Failed")
    cluster.reconcile(later)
    cluster.reconcile(later)
    garbage_collect_launcher_pods(cluster)
    cluster.reconcile_until_quiet(later)
    assert launcher_job(cluster).body["spec"]["activeDeadlineSeconds"] == 500
