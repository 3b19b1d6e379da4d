"""What the pages show from raw objects: a job's state is its last condition that holds; replica counts are
running/total per type with succeeded and failed; age and duration come from creation, start and finish; the
Running moment survives the job finishing; the events are the job's and its children's, newest first; the
failure shown is the first failed run; pods are kept slim."""

from datetime import UTC, datetime

from training_operator.core import labels
from training_operator.unified.dashboard import pods, timeline, views
from training_operator.unified.sdk import kinds

T0 = 1_700_000_000.0


def at(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(kind, status="True", when=0):
    return {"type": kind, "status": status, "lastTransitionTime": at(when), "reason": f"Job{kind}"}


def a_job(*conditions, replicas=None):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "mnist", "namespace": "team", "creationTimestamp": at(0)},
        "spec": {
            "pytorchReplicaSpecs": {"Master": {"replicas": 1}, "Worker": {"replicas": 3}, "Extra": {}},
        },
        "status": {
            "conditions": list(conditions),
            "replicaStatuses": replicas or {"Worker": {"active": 2, "succeeded": 1}},
            "startTime": at(2),
        },
    }


def test_the_state_is_the_last_condition_that_holds():
    job = a_job(condition("Created"), condition("Running", when=5), condition("Succeeded", when=9))
    job["status"]["conditions"][1]["status"] = "False"
    assert views.state(job) == "Succeeded"
    # a Running=False appended after Failed (seen with MPIJob) must not hide the failure
    broken = a_job(condition("Created"), condition("Failed", when=9), condition("Running", "False", when=9))
    assert views.state(broken) == "Failed"
    assert views.state(a_job()) == ""


def test_a_row_counts_replicas_and_times():
    job = a_job(condition("Created"), condition("Running", when=5), condition("Succeeded", when=60))
    row = views.summary(job)
    assert row["key"] == "PyTorchJob/team/mnist"
    assert row["replicas"] == [
        {"type": "Master", "total": 1, "active": 0, "succeeded": 0, "failed": 0},
        {"type": "Worker", "total": 3, "active": 2, "succeeded": 1, "failed": 0},
        {"type": "Extra", "total": 1, "active": 0, "succeeded": 0, "failed": 0},
    ]
    assert (row["created"], row["started"], row["finished"]) == (T0, T0 + 2, T0 + 60)
    assert views.summary(views.slim(job)) == row  # what the dashboard keeps is enough


def test_the_running_moment_survives_the_finish_unless_overwritten():
    kept = a_job(condition("Running", "False", when=5), condition("Succeeded", when=60))
    assert views.running_since(kept) == T0 + 5
    overwritten = a_job(condition("Running", "False", when=60), condition("Succeeded", when=60))
    assert views.running_since(overwritten) is None
    assert views.running_since(a_job(condition("Running", when=7))) == T0 + 7


def test_events_are_the_jobs_and_its_childrens_newest_first():
    def event(kind, name, when, reason):
        return {"involvedObject": {"kind": kind, "name": name}, "lastTimestamp": at(when), "reason": reason}

    events = [
        event("PyTorchJob", "mnist", 1, "Created"),
        event("Pod", "mnist-worker-0", 3, "Started"),
        event("Pod", "mnist2-worker-0", 4, "Other job"),
        event("TFJob", "mnist", 5, "Other kind"),
        event("Pod", "unrelated", 6, "Unrelated"),
    ]
    rows = views.event_rows(events, "PyTorchJob", "mnist")
    assert [r["reason"] for r in rows] == ["Started", "Created"]
    assert rows[0]["object"] == "Pod/mnist-worker-0"


def test_a_missing_job_is_said_so():
    page = views.job_page(
        None,
        ref=kinds.resolve("pytorchjob"),
        job_pods=[],
        history=timeline.PodHistory(),
        failures=[],
        events=[],
        now=T0,
    )
    assert page == {"now": T0, "job": None}


def a_pod(name, statuses, *, phase="Running", policy="OnFailure"):
    return {
        "metadata": {
            "name": name,
            "uid": f"uid-{name}",
            "namespace": "team",
            "labels": {labels.JOB_NAME: "mnist"},
        },
        "spec": {
            "containers": [{"name": "pytorch", "image": "big", "env": [{"name": "X"}]}],
            "restartPolicy": policy,
        },
        "status": {"phase": phase, "containerStatuses": statuses, "podIP": "10.0.0.1"},
    }


def ended(when=10, code=3):
    return {
        "terminated": {"exitCode": code, "reason": "Error", "finishedAt": at(when), "startedAt": at(when - 5)}
    }


def failed_status(*, state=None, when=10, code=3, last=None):
    if state is None:
        return {"name": "pytorch", "state": ended(when, code), "lastState": last or {}}
    return {"name": "pytorch", "state": state, "lastState": ended(when, code)}


def test_the_page_shows_the_first_failed_run_when_the_job_failed():
    job = a_job(condition("Created"), condition("Failed", when=30))
    first = pods.failures(a_pod("mnist-worker-1", [failed_status(when=10)]))[0]
    later = pods.failures(a_pod("mnist-worker-0", [failed_status(when=12, code=137)]))[0]
    page = views.job_page(
        job,
        ref=kinds.resolve("pytorchjob"),
        job_pods=[],
        history=timeline.PodHistory(),
        failures=sorted([later, first], key=lambda f: f.at),
        events=[],
        now=T0 + 40,
    )
    assert page["failure"]["pod"] == "mnist-worker-1"
    assert page["failure"]["exitCode"] == 3
    assert page["chart"]["finished"] == T0 + 30


def test_failures_say_which_log_holds_them():
    never = a_pod("p", [failed_status()], phase="Failed", policy="Never")
    (failure,) = pods.failures(never)
    assert not failure.previous
    assert pods.failed_run_log(failure, never, waited=False) == "current"
    # OnFailure: the kubelet may restart it any moment: wait for the pod's next change (or the grace)
    latest = a_pod("p", [failed_status()])
    assert pods.failed_run_log(failure, latest, waited=False) == pods.WAIT
    assert pods.failed_run_log(failure, latest, waited=True) == "current"
    # a kubelet that publishes the run as both state and lastState: still the latest run
    doubled = a_pod("p", [failed_status(last=ended())])
    assert pods.failed_run_log(failure, doubled, waited=False) == pods.WAIT
    # back-off: waiting to restart, the failed run is still the latest one
    backoff = a_pod("p", [failed_status(state={"waiting": {"reason": "CrashLoopBackOff"}})])
    assert pods.failed_run_log(failure, backoff, waited=False) == pods.WAIT
    restarted = a_pod("p", [failed_status(state={"running": {"startedAt": at(11)}})])
    assert pods.failed_run_log(failure, restarted, waited=False) == "previous"
    failed_again = a_pod("p", [failed_status(when=20, state={"running": {"startedAt": at(21)}})])
    assert pods.failed_run_log(failure, failed_again, waited=False) == pods.TOO_LATE
    assert pods.failed_run_log(failure, None, waited=False) == "current"
    # seen as lastState while the next run goes on: the previous log
    (seen_late,) = pods.failures(restarted)
    assert seen_late.previous
    assert pods.failed_run_log(seen_late, None, waited=False) == "previous"


def test_pods_are_kept_slim_and_found_by_their_job():
    full = a_pod("mnist-worker-0", [failed_status()])
    slim = pods.slim(full)
    assert pods.job_ref(slim) == ("team", "mnist")
    assert slim["spec"]["containers"] == [{"name": "pytorch"}]
    assert "podIP" not in slim["status"]
    assert pods.failures(slim) == pods.failures(full)
    assert pods.job_ref({"metadata": {"name": "x"}}) is None
