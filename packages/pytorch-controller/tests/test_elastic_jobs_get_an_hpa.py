"""PT-6: an elastic PyTorchJob with metrics gets an autoscaling/v2 HPA aimed at the job's scale subresource
(frameworks.md §2.8). Driven through the real planner.

Covers: the HPA body (owner, scale target, bounds, metrics verbatim, the operator's job labels); the Worker
replica status carries the scale selector; suspending deletes the HPA and resuming creates it again; elastic
jobs without metrics get none; changed metrics or bounds update the HPA with a patch of only what changed;
an HPA left behind when metrics are removed is kept (quirk F12, replicated); a finished job keeps its HPA;
server-side defaults on the HPA never cause updates.
"""

from dataclasses import replace
from datetime import UTC, datetime

from training_operator.core import labels
from training_operator.core.testing.cluster import FakeCluster
from training_operator.pytorch.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
METRICS = [
    {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    }
]


def imagenet(metrics=METRICS):
    policy = {"rdzvBackend": "c10d", "minReplicas": 1, "maxReplicas": 3, "maxRestarts": 100}
    if metrics:
        policy["metrics"] = metrics
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "elastic-example-imagenet", "namespace": "default", "uid": "U"},
        "spec": {
            "elasticPolicy": policy,
            "pytorchReplicaSpecs": {"Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": PT}},
        },
    }


def hpas(cluster):
    return [o for o in cluster.snapshot.objects if o.kind == "HorizontalPodAutoscaler"]


def test_pt6_hpa_targets_the_job_with_its_metrics():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    (hpa,) = hpas(cluster)
    body = hpa.body
    assert body["apiVersion"] == "autoscaling/v2"
    assert body["metadata"]["name"] == "elastic-example-imagenet"
    assert body["metadata"]["namespace"] == "default"
    assert body["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "kubeflow.org/v1",
            "kind": "PyTorchJob",
            "name": "elastic-example-imagenet",
            "uid": "U",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert body["spec"]["scaleTargetRef"] == {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "name": "elastic-example-imagenet",
    }
    assert (body["spec"]["minReplicas"], body["spec"]["maxReplicas"]) == (1, 3)
    assert body["spec"]["metrics"] == METRICS
    assert cluster.status["replicaStatuses"]["Worker"]["selector"] == (
        "training.kubeflow.org/job-name=elastic-example-imagenet,"
        "training.kubeflow.org/operator-name=pytorchjob-controller,training.kubeflow.org/replica-type=worker"
    )


def test_pt6_suspend_deletes_and_resume_recreates_the_hpa():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    cluster.update_spec(lambda job: job["spec"].setdefault("runPolicy", {}).update(suspend=True))
    cluster.reconcile_until_quiet(NOW)
    assert hpas(cluster) == []
    cluster.update_spec(lambda job: job["spec"]["runPolicy"].update(suspend=False))
    cluster.reconcile_until_quiet(NOW)
    assert len(hpas(cluster)) == 1


def test_elastic_job_without_metrics_has_no_hpa():
    cluster = FakeCluster(FRAMEWORK, imagenet(metrics=None))
    cluster.reconcile_until_quiet(NOW)
    assert hpas(cluster) == []


def test_hpa_carries_the_job_labels_so_the_label_scoped_watch_sees_it():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    (hpa,) = hpas(cluster)
    assert hpa.body["metadata"]["labels"] == {
        labels.JOB_NAME: "elastic-example-imagenet",
        labels.OPERATOR_NAME: "pytorchjob-controller",
    }


def test_changed_metrics_and_bounds_patch_only_the_spec():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    memory = [{"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue"}}}]

    def change(job):
        job["spec"]["elasticPolicy"].update(maxReplicas=5, metrics=memory)

    cluster.update_spec(change)
    plan = cluster.reconcile(NOW)
    (update,) = plan.updates
    assert (update.api_version, update.kind, update.name) == (
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        "elastic-example-imagenet",
    )
    assert update.patch == {"spec": {"maxReplicas": 5, "metrics": memory}}
    assert (plan.creates, plan.deletes) == ((), ())


def test_server_defaults_on_the_hpa_cause_no_update():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    (hpa,) = hpas(cluster)
    defaulted = {**hpa.body, "spec": {**hpa.body["spec"], "behavior": {"scaleDown": {"selectPolicy": "Max"}}}}
    cluster.snapshot = replace(cluster.snapshot, objects=(replace(hpa, body=defaulted),))
    assert cluster.reconcile(NOW).updates == ()


def test_f12_removing_metrics_keeps_the_existing_hpa():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    (before,) = hpas(cluster)
    cluster.update_spec(lambda job: job["spec"]["elasticPolicy"].pop("metrics"))
    plan = cluster.reconcile(NOW)
    assert (plan.updates, [d.kind for d in plan.deletes]) == ((), [])
    assert hpas(cluster) == [before]


def test_finished_job_keeps_its_hpa():
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.reconcile_until_quiet(NOW)
    cluster.set_pods(lambda pod: replace(pod, phase="Succeeded"))
    cluster.reconcile_until_quiet(NOW)
    assert cluster.status["conditions"][-1]["type"] == "Succeeded"
    assert len(hpas(cluster)) == 1


def test_without_rights_to_hpas_the_job_runs_without_one():
    # the operator's RBAC omits HPAs: one warning at start (preflight), then planned without them
    cluster = FakeCluster(FRAMEWORK, imagenet())
    cluster.options = replace(cluster.options, without_kinds=frozenset({"HorizontalPodAutoscaler"}))
    cluster.reconcile_until_quiet(NOW)
    assert hpas(cluster) == []
    assert len(list(cluster.snapshot.pods)) == 2
