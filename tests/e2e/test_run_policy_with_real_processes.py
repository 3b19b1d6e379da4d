"""Run-policy rules with real processes on the local node (local-cluster.md §5, common.md §6.5, §10–§12).

Covers: a worker exiting 1 under Never fails the job; ExitCode restarts a pod that exits 130 (retryable)
and the job then succeeds, while exit 1 (permanent) fails it; OnFailure restarts in place and succeeds;
backoffLimit stops a crash loop; activeDeadlineSeconds fails a job on time even when nothing else happens;
a job created suspended runs nothing until resumed, then succeeds; cleanPodPolicy All deletes the pods of a
finished job; ttlSecondsAfterFinished deletes the job itself; deleting a running job stops its processes and
removes its pods and services.
"""

import os
import time
import uuid

import pytest

pytestmark = pytest.mark.e2e
JOB_NAME = "training.kubeflow.org/job-name"


def a_job(name: str, worker_command: str, *, restart: str = "Never", workers: int = 1, **run_policy):
    def replica(command: str, count: int) -> dict:
        container = {"name": "pytorch", "image": "busybox", "command": ["sh", "-c", command]}
        return {
            "replicas": count,
            "restartPolicy": restart,
            "template": {"spec": {"containers": [container]}},
        }

    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "runPolicy": run_policy,
            # worker-only: with a Master, the Master's own success would decide the job (frameworks.md §2.9)
            "pytorchReplicaSpecs": {"Worker": replica(worker_command, workers)},
        },
    }


def create(jobs, body):
    return jobs.custom.create_namespaced_custom_object("kubeflow.org", "v1", "default", "pytorchjobs", body)


def last(job):
    return (job.get("status") or {}).get("conditions", [{}])[-1]


def fail_once(code: int) -> str:
    marker = f"/tmp/training-operator-e2e-{uuid.uuid4().hex}"
    # the second attempt removes the marker it succeeds on, so no run leaves a file in /tmp
    return f"if [ -e {marker} ]; then rm -f {marker}; exit 0; fi; touch {marker}; exit {code}"


@pytest.mark.parametrize(
    ("name", "command", "restart", "outcome", "reason"),
    [
        pytest.param("never-fails", "exit 1", "Never", "Failed", "PyTorchJobFailed", id="never"),
        pytest.param(
            "exitcode-retry",
            fail_once(130),
            "ExitCode",
            "Succeeded",
            "PyTorchJobSucceeded",
            id="exitcode-130",
        ),
        pytest.param("exitcode-perm", "exit 1", "ExitCode", "Failed", "PyTorchJobFailed", id="exitcode-1"),
        pytest.param(
            "onfailure", fail_once(1), "OnFailure", "Succeeded", "PyTorchJobSucceeded", id="onfailure"
        ),
    ],
)
def test_worker_failure_under_each_restart_policy(jobs, name, command, restart, outcome, reason):
    job = jobs.wait(create(jobs, a_job(f"e2e-{name}", command, restart=restart)))
    assert (last(job)["type"], last(job)["reason"]) == (outcome, reason), jobs.conditions(job)
    assert jobs.state(job) == outcome  # what `kubectl get` shows
    if outcome == "Failed":
        assert job["status"].get("completionTime")


def test_backoff_limit_stops_a_crash_loop(jobs):
    job = jobs.wait(create(jobs, a_job("e2e-backoff", "exit 3", restart="OnFailure", backoffLimit=1)))
    assert last(job)["type"] == "Failed"
    assert (
        last(job)["message"]
        == "Job e2e-backoff has failed because it has reached the specified backoff limit"
    )


def test_active_deadline_fails_the_job_on_time(jobs):
    job = jobs.wait(create(jobs, a_job("e2e-deadline", "sleep 600", activeDeadlineSeconds=3)), timeout=60)
    assert (
        last(job)["message"]
        == "Job e2e-deadline has failed because it was active longer than specified deadline"
    )
    assert jobs.wait_pods(job, lambda pods: all(p.metadata.deletion_timestamp for p in pods)) is not None


def test_suspended_job_runs_only_after_resume(jobs):
    created = create(jobs, a_job("e2e-suspend", "exit 0", suspend=True))
    suspended = jobs.wait(created, until=lambda j: ("Suspended", "True") in jobs.conditions(j))
    assert jobs.pods(suspended) == []
    assert not (suspended.get("status") or {}).get("startTime")
    jobs.custom.patch_namespaced_custom_object(
        "kubeflow.org",
        "v1",
        "default",
        "pytorchjobs",
        "e2e-suspend",
        {"spec": {"runPolicy": {"suspend": False}}},
    )
    job = jobs.wait(created)
    assert [c for c in jobs.conditions(job) if c[0] == "Suspended"] == [("Suspended", "False")]
    assert jobs.conditions(job)[-1] == ("Succeeded", "True")


def test_clean_pod_policy_all_deletes_finished_pods(jobs):
    job = jobs.wait(create(jobs, a_job("e2e-clean", "exit 0", cleanPodPolicy="All")))
    assert jobs.conditions(job)[-1] == ("Succeeded", "True")
    assert jobs.wait_pods(job, lambda pods: all(p.metadata.deletion_timestamp for p in pods)) is not None


def test_ttl_deletes_the_finished_job(jobs):
    job = jobs.wait(create(jobs, a_job("e2e-ttl", "exit 0", ttlSecondsAfterFinished=1)))
    assert jobs.conditions(job)[-1] == ("Succeeded", "True")
    jobs.wait_deleted(job)


def test_deleting_a_running_job_stops_its_processes_and_removes_its_children(jobs, tmp_path):
    pid_file = tmp_path / "pids"
    # `$$$$`: Kubernetes turns `$$` into `$` in commands, so the shell sees `$$`, its own pid
    body = a_job("e2e-delete", f"echo $$$$ >> {pid_file}; exec sleep 300", workers=2)
    running = jobs.wait(create(jobs, body), until=lambda job: last(job).get("type") == "Running")
    pods = jobs.wait_pods(running, lambda pods: [p.status.phase for p in pods] == ["Running", "Running"])
    deadline = time.monotonic() + 20  # the shells write their pids right after starting
    while len(pid_file.read_text().split() if pid_file.exists() else []) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = [int(line) for line in pid_file.read_text().split()]
    assert len(pids) == 2
    jobs.custom.delete_namespaced_custom_object("kubeflow.org", "v1", "default", "pytorchjobs", "e2e-delete")
    jobs.wait_deleted(running)
    assert jobs.wait_pods(running, lambda pods: not pods) == []
    services = jobs.core.list_namespaced_service("default", label_selector=f"{JOB_NAME}=e2e-delete")
    assert services.items == [], [s.metadata.name for s in services.items]
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert {p.metadata.name for p in pods} == {"e2e-delete-worker-0", "e2e-delete-worker-1"}
