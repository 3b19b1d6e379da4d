"""PyTorchJob through the common engine's planner (frameworks.md §2.5–§2.9; acceptance PT-1, PT-7, PT-9).

Covers: the first reconcile of PT-1 creates master-0 and worker-0 with their exact env, `restartPolicy:
OnFailure`, `job-role=master` on the master only, the init container on the worker only, and headless
services exposing `pytorchjob-port`; then, from observed pods: Running; the Master's success (Running flipped,
completionTime, Normal event, success metric); a Master that succeeded in the same pass as a Never Worker
failed ends Succeeded every time (quirk F11, fixed by visiting Master first); a failed Never Worker fails the
job; a Failed OnFailure Worker is deleted and the last condition is PyTorch's Restarting; worker-only jobs
succeed when all Workers did (or, elastic, when any did); a Worker terminating after an elastic scale-down is
not a failure.
"""

from dataclasses import replace
from datetime import UTC, datetime

from training_operator.core import labels
from training_operator.core.engine.draft import JOBS_SUCCESSFUL
from training_operator.core.testing.cluster import FakeCluster, creates_of
from training_operator.pytorch.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
STAMP = "2024-05-01T10:00:00Z"
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def pytorchjob(name, specs, namespace="default", **spec):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


def master_and_worker(name, policy="OnFailure", workers=1):
    return pytorchjob(
        name,
        {
            "Master": {"replicas": 1, "restartPolicy": policy, "template": PT},
            "Worker": {"replicas": workers, "restartPolicy": policy, "template": PT},
        },
    )


def started(body):
    """A cluster after the first reconcile created every pod (all Pending)."""
    cluster = FakeCluster(FRAMEWORK, body)
    cluster.reconcile_until_quiet(NOW)
    return cluster


def set_phases(cluster, phases, *, deleting=()):
    cluster.set_pods(
        lambda pod: replace(pod, phase=phases.get(pod.name, pod.phase), deleting=pod.name in deleting)
    )


def last_condition(cluster):
    condition = cluster.status["conditions"][-1]
    return (condition["type"], condition["status"], condition["reason"], condition["message"])


def test_pt1_first_reconcile_creates_pods_and_services():
    cluster = FakeCluster(
        FRAMEWORK,
        pytorchjob(
            "pytorch-simple",
            {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": 1, "template": PT}},
            namespace="kubeflow",
        ),
    )
    plan = cluster.reconcile(NOW)
    pods = {c.name: c.body for c in creates_of(plan, "Pod")}
    services = {c.name: c.body for c in creates_of(plan, "Service")}
    assert sorted(pods) == sorted(services) == ["pytorch-simple-master-0", "pytorch-simple-worker-0"]
    for name, rank in (("pytorch-simple-master-0", "0"), ("pytorch-simple-worker-0", "1")):
        (container,) = pods[name]["spec"]["containers"]
        assert [(e["name"], e["value"]) for e in container["env"]] == [
            ("PYTHONUNBUFFERED", "1"),
            ("MASTER_PORT", "23456"),
            ("PET_MASTER_PORT", "23456"),
            ("MASTER_ADDR", "pytorch-simple-master-0"),
            ("PET_MASTER_ADDR", "pytorch-simple-master-0"),
            ("WORLD_SIZE", "2"),
            ("RANK", rank),
            ("PET_NODE_RANK", rank),
            ("PET_NPROC_PER_NODE", "auto"),
            ("PET_NNODES", "2"),
        ]
        assert container["ports"] == [{"name": "pytorchjob-port", "containerPort": 23456}]
        assert pods[name]["spec"]["restartPolicy"] == "OnFailure"
        assert services[name]["spec"]["clusterIP"] == "None"
        assert services[name]["spec"]["ports"] == [{"name": "pytorchjob-port", "port": 23456}]
    master, worker = pods["pytorch-simple-master-0"], pods["pytorch-simple-worker-0"]
    assert master["metadata"]["labels"][labels.JOB_ROLE] == labels.JOB_ROLE_MASTER
    assert labels.JOB_ROLE not in worker["metadata"]["labels"]
    assert "initContainers" not in master["spec"]
    assert [c["name"] for c in worker["spec"]["initContainers"]] == ["init-pytorch"]


def test_running_then_master_success():
    cluster = started(master_and_worker("j"))
    set_phases(cluster, {"j-master-0": "Running", "j-worker-0": "Running"})
    cluster.reconcile_until_quiet(NOW)
    assert last_condition(cluster) == ("Running", "True", "PyTorchJobRunning", "PyTorchJob j is running.")
    set_phases(cluster, {"j-master-0": "Succeeded"})
    plan = cluster.reconcile(NOW)
    message = "PyTorchJob j is successfully completed."
    assert last_condition(cluster) == ("Succeeded", "True", "PyTorchJobSucceeded", message)
    running = next(c for c in cluster.status["conditions"] if c["type"] == "Running")
    assert (running["status"], running["message"]) == ("False", "PyTorchJob j is running.")
    assert cluster.status["completionTime"] == STAMP
    assert ("Normal", "PyTorchJobSucceeded", message) in [(e.type, e.reason, e.message) for e in plan.events]
    assert [m.name for m in plan.metrics].count(JOBS_SUCCESSFUL) == 1


def test_f11_master_success_wins_over_a_worker_failure_in_the_same_pass():
    cluster = started(master_and_worker("j", policy="Never"))
    set_phases(cluster, {"j-master-0": "Succeeded", "j-worker-0": "Failed"})
    cluster.reconcile(NOW)
    assert last_condition(cluster)[:3] == ("Succeeded", "True", "PyTorchJobSucceeded")
    assert not any(c["type"] == "Failed" for c in cluster.status["conditions"])


def test_pt9_never_worker_failure_fails_the_job():
    cluster = started(master_and_worker("j", policy="Never"))
    set_phases(cluster, {"j-master-0": "Running", "j-worker-0": "Failed"})
    cluster.reconcile(NOW)
    message = "PyTorchJob j is failed because 1 Worker replica(s) failed."
    assert last_condition(cluster) == ("Failed", "True", "PyTorchJobFailed", message)
    assert cluster.status["completionTime"] == STAMP


def test_pt9_on_failure_worker_is_recreated_and_restarting_is_last():
    cluster = started(master_and_worker("j"))
    set_phases(cluster, {"j-master-0": "Running", "j-worker-0": "Failed"})
    plan = cluster.reconcile(NOW)
    assert [d.name for d in plan.deletes if d.kind == "Pod"] == ["j-worker-0"]
    message = "PyTorchJob j is restarting because 1 Worker replica(s) failed."
    assert last_condition(cluster) == ("Restarting", "True", "PyTorchJobRestarting", message)
    assert ("Warning", "PyTorchJobRestarting", message) in [
        (e.type, e.reason, e.message) for e in plan.events
    ]


def test_pt7_worker_only_succeeds_when_every_worker_did():
    cluster = started(pytorchjob("ddp", {"Worker": {"replicas": 3, "template": PT}}))
    set_phases(cluster, {"ddp-worker-0": "Succeeded", "ddp-worker-1": "Succeeded", "ddp-worker-2": "Running"})
    cluster.reconcile(NOW)
    assert last_condition(cluster) == (
        "Running",
        "True",
        "PyTorchJobRunning",
        "PyTorchJob default/ddp is running.",
    )
    set_phases(cluster, {"ddp-worker-2": "Succeeded"})
    cluster.reconcile(NOW)
    message = "PyTorchJob default/ddp successfully completed."
    assert last_condition(cluster) == ("Succeeded", "True", "PyTorchJobSucceeded", message)


def test_pt9_elastic_job_succeeds_when_any_worker_did():
    cluster = started(
        pytorchjob(
            "j",
            {"Worker": {"replicas": 2, "template": PT}},
            elasticPolicy={"minReplicas": 1, "maxReplicas": 2},
        )
    )
    set_phases(cluster, {"j-worker-0": "Running", "j-worker-1": "Succeeded"})
    cluster.reconcile(NOW)
    message = "PyTorchJob default/j successfully completed."
    assert last_condition(cluster) == ("Succeeded", "True", "PyTorchJobSucceeded", message)


def test_worker_terminating_after_elastic_scale_down_is_not_a_failure():
    body = pytorchjob(
        "j",
        {"Worker": {"replicas": 3, "restartPolicy": "Never", "template": PT}},
        elasticPolicy={"minReplicas": 1, "maxReplicas": 3},
    )
    cluster = started(body)
    set_phases(cluster, {f"j-worker-{i}": "Running" for i in range(3)})
    cluster.reconcile_until_quiet(NOW)
    cluster.update_spec(lambda job: job["spec"]["pytorchReplicaSpecs"]["Worker"].update(replicas=2))
    set_phases(cluster, {}, deleting={"j-worker-2"})  # the HPA shrank the job; the pod is on its way out
    cluster.reconcile(NOW)
    assert cluster.status["replicaStatuses"]["Worker"]["failed"] == 1
    assert last_condition(cluster)[:2] == ("Running", "True")
