"""PT-9 and PT-7's success rule: when a PyTorchJob is Running, Restarting, Succeeded or Failed
(frameworks.md §2.9), with the Master visited before the Worker (our fixed order)."""

from typing import Any

from training_operator.core.engine.draft import StatusDraft
from training_operator.pytorch.plugin import FRAMEWORK
from training_operator.pytorch.status import visiting_order

NOW = "2024-05-01T10:00:00Z"
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
CREATED = {
    "type": "Created",
    "status": "True",
    "reason": "PyTorchJobCreated",
    "message": "PyTorchJob j is created.",
}


def job(policy="Never", master=True, workers=1, elastic=False):
    specs = {"Worker": {"replicas": workers, "restartPolicy": policy, "template": PT}}
    if master:
        specs["Master"] = {"replicas": 1, "restartPolicy": policy, "template": PT}
    spec: dict[str, Any] = {"pytorchReplicaSpecs": specs}
    if elastic:
        spec["elasticPolicy"] = {"rdzvBackend": "c10d", "minReplicas": 1, "maxReplicas": 2}
    body = {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "j", "namespace": "default"},
        "spec": spec,
    }
    return FRAMEWORK.default(FRAMEWORK.parse(body))


def decide(parsed, counts, conditions=None):
    draft = StatusDraft(
        job=parsed,
        status={"conditions": conditions or [CREATED], "replicaStatuses": counts},
        now=NOW,
        framework_label="pytorch",
    )
    FRAMEWORK.update_status(parsed, draft)
    return draft


def last(draft):
    c = draft.conditions[-1]
    return c["type"], c["status"], c["reason"], c["message"]


def test_never_worker_failed_fails_the_job():
    draft = decide(job("Never"), {"Master": {"active": 1}, "Worker": {"failed": 1}})
    assert last(draft) == (
        "Failed",
        "True",
        "PyTorchJobFailed",
        "PyTorchJob j is failed because 1 Worker replica(s) failed.",
    )
    assert draft.status.get("completionTime") == NOW


def test_on_failure_worker_failed_ends_restarting_after_the_master_sets_running():
    draft = decide(job("OnFailure"), {"Master": {"active": 1}, "Worker": {"failed": 1}})
    assert last(draft) == (
        "Restarting",
        "True",
        "PyTorchJobRestarting",
        "PyTorchJob j is restarting because 1 Worker replica(s) failed.",
    )
    assert [c["type"] for c in draft.conditions] == ["Created", "Restarting"]


def test_elastic_worker_success_is_enough():
    draft = decide(job(master=False, workers=2, elastic=True), {"Worker": {"active": 1, "succeeded": 1}})
    assert last(draft)[:2] == ("Succeeded", "True")
    assert last(draft)[3] == "PyTorchJob default/j successfully completed."


def test_master_success_flips_running_and_stops():
    running = {
        "type": "Running",
        "status": "True",
        "reason": "PyTorchJobRunning",
        "message": "PyTorchJob j is running.",
    }
    draft = decide(job("Never"), {"Master": {"succeeded": 1}, "Worker": {"failed": 1}}, [CREATED, running])
    assert last(draft) == (
        "Succeeded",
        "True",
        "PyTorchJobSucceeded",
        "PyTorchJob j is successfully completed.",
    )
    assert draft.conditions[1]["type"] == "Running"
    assert draft.conditions[1]["status"] == "False"
    assert not draft.is_true("Failed")  # the Worker is not visited after the Master's success


def test_worker_only_succeeds_only_when_every_worker_did():
    parsed = job(master=False, workers=3)
    assert not decide(parsed, {"Worker": {"active": 1, "succeeded": 2}}).is_true("Succeeded")
    draft = decide(parsed, {"Worker": {"succeeded": 3}})
    assert last(draft)[3] == "PyTorchJob default/j successfully completed."


# --- edges a user sees: a Master decides alone, replaced or scaled-away pods are not failures -------------


def types(parsed, counts):
    return [c["type"] for c in decide(parsed, counts).conditions if c["status"] == "True"]


def test_with_a_master_the_workers_success_does_not_finish_the_job() -> None:
    assert types(job(workers=2), {"Master": {"active": 1}, "Worker": {"succeeded": 2}}) == [
        "Created",
        "Running",
    ]


def test_a_failed_pod_already_replaced_is_not_a_failure() -> None:
    """One Worker succeeded, one active again, one failed pod left over: replicas are all accounted for."""
    counts = {"Worker": {"succeeded": 1, "active": 1, "failed": 1}}
    assert types(job(master=False, workers=2), counts) == ["Created", "Running"]


def test_failed_pods_left_by_a_scale_down_are_not_a_failure() -> None:
    counts = {"Worker": {"active": 2, "failed": 1}}
    assert types(job(master=False, workers=1), counts) == ["Created", "Running"]


def test_missing_replicas_with_a_failed_pod_fail_a_never_job() -> None:
    counts = {"Worker": {"succeeded": 1, "active": 0, "failed": 1}}
    assert types(job(master=False, workers=2), counts) == ["Created", "Failed"]


def test_always_and_on_failure_restart_where_never_fails() -> None:
    for policy in ("Always", "OnFailure", "ExitCode"):
        assert types(job(policy, master=False, workers=2), {"Worker": {"failed": 1}}) == [
            "Created",
            "Restarting",
        ]
    assert types(job("Never", master=False, workers=2), {"Worker": {"failed": 1}}) == ["Created", "Failed"]


def test_no_pod_running_is_not_running() -> None:
    assert types(job(master=False, workers=2), {"Worker": {"active": 0}}) == ["Created"]
    assert types(job(master=True), {"Master": {"active": 0}, "Worker": {"active": 1}}) == ["Created"]
    assert types(job(master=False, workers=2), {"Worker": {"active": 1}}) == ["Created", "Running"]


def test_the_master_is_visited_first_then_workers_then_any_other_key_sorted() -> None:
    assert visiting_order(["Zeta", "Worker", "Alpha", "Master"]) == ["Master", "Worker", "Alpha", "Zeta"]
    assert visiting_order(["Worker"]) == ["Worker"]
