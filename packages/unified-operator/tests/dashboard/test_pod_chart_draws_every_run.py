"""The pods-over-time chart's data: one row per replica, ordered master/chief/launcher first; phase segments
Pending → Running → Succeeded/Failed; every run of a restarting container and a re-created pod kept on the
replica's row with restart and failure marks; runs that ended before the dashboard watched shown as one span;
rows bounded; pods of an older job of the same name left out."""

from datetime import UTC, datetime

from training_operator.core import labels
from training_operator.unified.dashboard import timeline

T0 = 1_700_000_000.0


def at(seconds: float) -> str:
    return datetime.fromtimestamp(T0 + seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod(
    name,
    *,
    replica="worker",
    index=0,
    uid=None,
    phase="Pending",
    created=0,
    state=None,
    last=None,
    restarts=0,
):
    status = {"phase": phase}
    if state is not None:
        status["containerStatuses"] = [
            {"name": "pytorch", "state": state, "lastState": last or {}, "restartCount": restarts}
        ]
    return {
        "metadata": {
            "name": name,
            "uid": uid or name,
            "creationTimestamp": at(created),
            "labels": {labels.REPLICA_TYPE: replica, labels.REPLICA_INDEX: str(index)},
        },
        "status": status,
    }


def running(since):
    return {"running": {"startedAt": at(since)}}


def ended(start, end, code=0, reason="Completed"):
    return {"terminated": {"startedAt": at(start), "finishedAt": at(end), "exitCode": code, "reason": reason}}


def chart(history, end=100.0):
    return history.chart(start=T0, end=T0 + end)


def phases(row):
    return [(s["phase"], s["start"] - T0, s["end"] - T0) for s in row["segments"]]


def test_a_pod_goes_pending_running_succeeded_on_one_row():
    history = timeline.PodHistory({"pytorch"})
    history.observe([pod("j-worker-0")], T0 + 1)
    history.observe([pod("j-worker-0", phase="Running", state=running(5))], T0 + 5)
    history.observe([pod("j-worker-0", phase="Succeeded", state=ended(5, 30))], T0 + 30)
    (row,) = chart(history)["rows"]
    assert row["replica"] == "worker-0"
    assert phases(row) == [("Pending", 0, 5), ("Running", 5, 30), ("Succeeded", 30, 100)]
    assert row["marks"] == []


def test_a_restarted_container_keeps_every_run_with_its_failure_and_restart_marks():
    history = timeline.PodHistory({"pytorch"})
    first = ended(2, 10, code=3, reason="Error")
    history.observe([pod("p", phase="Running", state=first)], T0 + 10)
    history.observe([pod("p", phase="Running", state=running(12), last=first, restarts=1)], T0 + 12)
    second = ended(12, 20, code=1, reason="Error")
    history.observe([pod("p", phase="Running", state=running(25), last=second, restarts=2)], T0 + 25)
    (row,) = chart(history, end=40)["rows"]
    assert phases(row) == [
        ("Pending", 0, 2),
        ("Running", 2, 10),
        ("Restarting", 10, 12),
        ("Running", 12, 20),
        ("Restarting", 20, 25),
        ("Running", 25, 40),
    ]
    marks = [(m["kind"], m["at"] - T0) for m in row["marks"]]
    assert marks == [("failure", 10), ("restart", 12), ("failure", 20), ("restart", 25)]
    assert "exit code 3 (Error)" in row["marks"][0]["detail"]


def test_a_pod_failing_for_good_ends_red():
    history = timeline.PodHistory({"pytorch"})
    history.observe([pod("p", phase="Failed", state=ended(1, 9, code=2, reason="Error"))], T0 + 9)
    (row,) = chart(history, end=20)["rows"]
    assert phases(row) == [("Pending", 0, 1), ("Running", 1, 9), ("Failed", 9, 20)]
    assert [m["kind"] for m in row["marks"]] == ["failure"]


def test_a_recreated_pod_stays_on_its_replicas_row():
    history = timeline.PodHistory({"pytorch"})
    history.observe([pod("p", uid="a", phase="Failed", state=ended(1, 5, code=137))], T0 + 5)
    history.observe([], T0 + 6)  # deleted by the operator
    history.observe([pod("p", uid="b", created=7, phase="Running", state=running(8))], T0 + 8)
    (row,) = chart(history, end=10)["rows"]
    assert phases(row) == [
        ("Pending", 0, 1),
        ("Running", 1, 5),
        ("Failed", 5, 6),
        ("Pending", 7, 8),
        ("Running", 8, 10),
    ]
    assert ("restart", 7.0) in [(m["kind"], m["at"] - T0) for m in row["marks"]]


def test_runs_before_the_dashboard_watched_show_as_one_span():
    history = timeline.PodHistory({"pytorch"})
    last = ended(30, 40, code=1)
    seen = pod("p", phase="Running", state=running(45), last=last, restarts=3)
    seen["status"]["startTime"] = at(2)
    history.observe([seen], T0 + 50)
    (row,) = chart(history, end=60)["rows"]
    assert phases(row)[:2] == [("Pending", 0, 2), ("Restarting", 2, 30)]
    assert row["marks"][0]["detail"].startswith("2 earlier run(s)")


def test_rows_are_ordered_and_bounded():
    history = timeline.PodHistory()
    pods = [pod(f"w{i}", replica="worker", index=i) for i in (10, 2, 0)]
    pods.append(pod("m", replica="master", index=0))
    history.observe(pods, T0)
    rows = history.chart(start=T0, end=T0 + 10, limit=3)
    assert [r["replica"] for r in rows["rows"]] == ["master-0", "worker-0", "worker-2"]
    assert rows["hidden"] == 1


def test_pods_of_an_older_job_of_that_name_are_left_out():
    history = timeline.PodHistory()
    history.observe([pod("old", created=-500, phase="Succeeded", state=ended(-499, -400))], T0 - 300)
    history.observe([], T0 - 200)
    assert chart(history)["rows"] == []


def test_mpi_pods_are_named_by_their_role():
    launcher = pod("pi-launcher-x")
    launcher["metadata"]["labels"] = {labels.JOB_ROLE: "launcher"}
    assert timeline.replica_of(launcher) == ("launcher", 0)
    assert timeline.stamp("not a time") is None
