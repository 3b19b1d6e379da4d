"""What the operator overrides in users' pod templates (mpi.md §6, §8.4, §8.5).

Covers AC-26 (hostNetwork → ClusterFirstWithHostNet; the replica restartPolicy wins over the template's, with
a SetPodTemplateRestartPolicy warning), operator labels winning over template labels while others are kept,
and user env kept before the operator's.
"""

from training_operator.core import labels
from training_operator.mpi.testing import a_job, sync


def test_ac26_host_network_and_restart_policy():
    launcher = {
        "template": {"spec": {"hostNetwork": True, "restartPolicy": "Always", "containers": [{"name": "l"}]}}
    }
    worker = {"replicas": 1, "template": {"spec": {"hostNetwork": True, "containers": [{"name": "w"}]}}}
    plan = sync(a_job(launcher=launcher, worker=worker, workers=None))
    [job] = [c.body for c in plan.creates if c.kind == "Job"]
    [pod] = [c.body for c in plan.creates if c.kind == "Pod"]
    assert job["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert pod["spec"]["dnsPolicy"] == "ClusterFirstWithHostNet"
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    warnings = [(e.type, e.reason, e.message) for e in plan.events if e.type == "Warning"]
    assert warnings == [
        (
            "Warning",
            "SetPodTemplateRestartPolicy",
            "Restart policy in pod template overridden by restart policy in replica spec",
        )
    ]


def test_operator_labels_win_and_user_labels_stay():
    template = {
        "metadata": {"labels": {labels.JOB_NAME: "spoofed", "team": "a"}},
        "spec": {"containers": [{"name": "w", "env": [{"name": "K_MPI_JOB_ROLE", "value": "x"}]}]},
    }
    plan = sync(a_job(worker={"replicas": 1, "template": template}, workers=None))
    [pod] = [c.body for c in plan.creates if c.kind == "Pod"]
    assert pod["metadata"]["labels"][labels.JOB_NAME] == "pi"
    assert pod["metadata"]["labels"]["team"] == "a"
    assert pod["spec"]["containers"][0]["env"] == [
        {"name": "K_MPI_JOB_ROLE", "value": "x"},
        {"name": "K_MPI_JOB_ROLE", "value": "worker"},
    ]
    assert "dnsPolicy" not in pod["spec"]
