"""PT-6: an elastic PyTorchJob with metrics gets an autoscaling/v2 HPA aimed at the job's scale subresource,
owned by the job; the Worker replica status carries the scale selector; suspending deletes the HPA and
resuming creates it again. Elastic jobs without metrics get none. Driven through the real planner."""

from datetime import UTC, datetime

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
