"""What `local run` keeps while following pods (podwatch): every attempt of every container is streamed once,
restarts included (the attempt named in the prefix); failed exits are remembered with their exit codes and
the last lines of their logs, so the reason survives the pods' deletion; the failure that explains the job
is the launcher's for an MPIJob, else that of the pod that failed first, at its latest attempt."""

from training_operator.unified.podwatch import TAIL_LINES, Attempt, PodWatch


def pod(name, *, restarts=0, state=None, last=None, phase="Running", role=None, containers=1, **status):
    labels = {"training.kubeflow.org/job-role": role} if role else {}
    statuses = [
        {"name": "main", "restartCount": restarts, "state": state or {"running": {}}, "lastState": last or {}}
    ]
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": f"c{i}"} for i in range(containers)]},
        "status": {"phase": phase, "containerStatuses": statuses, **status},
    }


def ended(code, at, reason="Error"):
    return {"terminated": {"exitCode": code, "finishedAt": at, "reason": reason}}


def test_each_attempt_is_streamed_once_and_restarts_are_numbered():
    watch = PodWatch()
    assert watch.observe(pod("p")) == [Attempt("p", "main", 1)]
    assert watch.observe(pod("p")) == []
    assert watch.observe(pod("p", state=ended(1, "t1"))) == []  # the same attempt, ended
    waiting = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert watch.observe(pod("p", restarts=1, state=waiting, last=ended(1, "t1"))) == []
    assert watch.observe(pod("p", restarts=1)) == [Attempt("p", "main", 2)]
    assert Attempt("p", "main", 2).prefix(single_container=True) == "[p attempt 2]"
    assert Attempt("p", "main", 1).prefix(single_container=False) == "[p/main]"


def test_an_attempt_that_ended_unseen_is_read_as_the_previous_log():
    watch = PodWatch()
    waiting = {"waiting": {"reason": "CrashLoopBackOff"}}
    assert watch.observe(pod("p", restarts=1, state=waiting, last=ended(2, "t1"))) == [
        Attempt("p", "main", 1, previous=True)
    ]
    seen_late = PodWatch()  # the first attempt ended and the second runs before the first look
    assert seen_late.observe(pod("p", restarts=1, last=ended(2, "t1"))) == [
        Attempt("p", "main", 1, previous=True),
        Attempt("p", "main", 2),
    ]


def test_the_first_failing_pod_explains_the_job_with_its_latest_attempt_and_tail():
    watch = PodWatch()
    watch.observe(pod("w1", state=ended(1, "t5")))
    watch.observe(pod("w0", restarts=1, state=ended(3, "t9"), last=ended(1, "t2")))
    for number in range(TAIL_LINES + 5):
        watch.line(Attempt("w0", "main", 2), f"line {number}")

    failure = watch.failure(mpi=False)

    assert failure is not None
    assert (failure.attempt.pod, failure.attempt.number, failure.code) == ("w0", 2, 3)
    assert failure.describe("ns") == "pod ns/w0 (container main, attempt 2) exited with code 3 (Error)"
    assert watch.tail(failure) == [f"line {n}" for n in range(5, TAIL_LINES + 5)]


def test_an_mpi_job_is_explained_by_its_launcher_and_a_pod_level_failure_counts():
    watch = PodWatch()
    watch.observe(pod("pi-worker-0", state=ended(137, "t1")))
    watch.observe(pod("pi-launcher-x", role="launcher", state=ended(1, "t3")))
    assert watch.failure(mpi=True).attempt.pod == "pi-launcher-x"

    rejected = PodWatch()
    rejected.observe(
        {
            "metadata": {"name": "p"},
            "status": {"phase": "Failed", "reason": "DeadlineExceeded", "message": "late"},
        }
    )
    assert rejected.failure(mpi=False).describe("ns") == "pod ns/p failed (DeadlineExceeded): late"
