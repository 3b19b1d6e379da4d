"""batch/v1 Job controller: pods named <job>-<random5> with job labels and a controller ownerReference,
completions/parallelism, Complete, BackoffLimitExceeded, DeadlineExceeded, suspend/resume, pods cascade."""

import re

JOBS = "/apis/batch/v1/namespaces/default/jobs"
PODS = "/api/v1/namespaces/default/pods"


def a_job(name: str, command: list[str], **spec) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "c", "image": "local", "command": command}],
                }
            },
            **spec,
        },
    }


def condition(api, name: str, kind: str) -> dict | None:
    status = api.get(f"{JOBS}/{name}")[1].get("status") or {}
    return next(
        (c for c in status.get("conditions") or [] if c["type"] == kind and c["status"] == "True"), None
    )


def job_pods(api, name: str) -> list[dict]:
    return api.get(PODS, labelSelector=f"batch.kubernetes.io/job-name={name}")[1]["items"]


def test_job_runs_to_completion(api, wait):
    status, job = api.post(JOBS, a_job("ok", ["sh", "-c", "exit 0"], completions=2, parallelism=1))
    assert status == 201
    complete = wait(lambda: condition(api, "ok", "Complete"), message="Complete")
    assert complete["reason"] == "CompletionsReached"
    status_obj = api.get(f"{JOBS}/ok")[1]["status"]
    assert status_obj["succeeded"] == 2
    assert status_obj["startTime"]
    assert status_obj["completionTime"]
    pods = job_pods(api, "ok")
    assert len(pods) == 2
    for pod in pods:
        assert re.fullmatch(r"ok-[a-z0-9]{5}", pod["metadata"]["name"])
        labels = pod["metadata"]["labels"]
        assert labels["job-name"] == "ok"
        assert labels["controller-uid"] == job["metadata"]["uid"]
        ref = pod["metadata"]["ownerReferences"][0]
        assert ref["kind"] == "Job"
        assert ref["controller"] is True
        assert ref["uid"] == job["metadata"]["uid"]


def test_backoff_limit_exceeded(api, wait):
    api.post(JOBS, a_job("bad", ["sh", "-c", "exit 3"], backoffLimit=1))
    failed = wait(lambda: condition(api, "bad", "Failed"), message="Failed")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert api.get(f"{JOBS}/bad")[1]["status"]["failed"] == 2


def test_active_deadline(api, wait):
    api.post(JOBS, a_job("slow", ["sleep", "30"], activeDeadlineSeconds=1))
    failed = wait(lambda: condition(api, "slow", "Failed"), message="deadline")
    assert failed["reason"] == "DeadlineExceeded"
    wait(
        lambda: all(
            p["metadata"].get("deletionTimestamp") or p["status"]["phase"] in ("Failed", "Succeeded")
            for p in job_pods(api, "slow")
        ),
        message="pods stopped",
    )


def test_suspend_and_resume(api, wait):
    api.post(JOBS, a_job("sus", ["sh", "-c", "exit 0"], suspend=True))
    suspended = wait(lambda: condition(api, "sus", "Suspended"), message="Suspended")
    assert suspended["reason"] == "JobSuspended"
    assert job_pods(api, "sus") == []
    api.patch(f"{JOBS}/sus", {"spec": {"suspend": False}})
    wait(lambda: condition(api, "sus", "Complete"), message="Complete after resume")


def test_deleting_a_job_in_background_removes_its_pods(api, wait):
    api.post(JOBS, a_job("gone", ["sleep", "30"]))
    wait(lambda: job_pods(api, "gone"), message="pod created")
    api.delete(f"{JOBS}/gone", propagationPolicy="Background")
    wait(lambda: job_pods(api, "gone") == [], timeout=30, message="pods collected")
