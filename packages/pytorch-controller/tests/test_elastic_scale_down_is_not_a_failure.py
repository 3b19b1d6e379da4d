"""Elastic scale-down through the real planner (frameworks.md §2.8–§2.9).

Covers: when the HPA lowers the Worker count, the pod above the new count that is still terminating counts as
failed (common.md §6.6) but does not fail a `Never` job, because the failure rule needs
`replicas > succeeded + running`; one more failed pod within the new count does fail it.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core.testing.cluster import FakeCluster
from training_operator.pytorch.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
BODY = {
    "apiVersion": "kubeflow.org/v1",
    "kind": "PyTorchJob",
    "metadata": {"name": "j", "namespace": "default", "uid": "uid-j"},
    "spec": {
        "elasticPolicy": {"minReplicas": 1, "maxReplicas": 3},
        "pytorchReplicaSpecs": {"Worker": {"replicas": 3, "restartPolicy": "Never", "template": PT}},
    },
}


@pytest.mark.parametrize(
    ("worker_1_phase", "last"),
    [
        pytest.param("Running", ("Running", "True"), id="only-the-scaled-away-pod-is-terminating"),
        pytest.param("Failed", ("Failed", "True"), id="a-pod-inside-the-new-count-failed"),
    ],
)
def test_scale_down(worker_1_phase, last):
    cluster = FakeCluster(FRAMEWORK, BODY)
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    cluster.update_spec(lambda job: job["spec"]["pytorchReplicaSpecs"]["Worker"].update(replicas=2))

    def kubelet(pod):
        if pod.name == "j-worker-2":
            return replace(pod, deleting=True)
        return replace(pod, phase=worker_1_phase) if pod.name == "j-worker-1" else pod

    cluster.set_pods(kubelet)
    cluster.reconcile(NOW)
    condition = cluster.status["conditions"][-1]
    assert (condition["type"], condition["status"]) == last
