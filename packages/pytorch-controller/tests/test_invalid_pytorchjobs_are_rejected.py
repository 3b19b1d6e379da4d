"""PT-8 and common.md §21 case 11: admission rules for PyTorchJob, with Kubernetes-style messages."""

import pytest

from training_operator.pytorch.plugin import FRAMEWORK

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def rejection(spec):
    body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "j"}, "spec": spec}
    return [p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(body))]


def warnings(spec):
    body = {"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob", "metadata": {"name": "j"}, "spec": spec}
    return list(FRAMEWORK.admission_warnings(FRAMEWORK.parse(body)))


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            {"pytorchReplicaSpecs": {"Master": {"template": PT}}},
            "spec.pytorchReplicaSpecs[Master].replicas: Forbidden: must be 1",
            id="master-unset",
        ),
        pytest.param(
            {"pytorchReplicaSpecs": {"Master": {"replicas": 2, "template": PT}}},
            "spec.pytorchReplicaSpecs[Master].replicas: Forbidden: must be 1",
            id="master-two",
        ),
        pytest.param(
            {"pytorchReplicaSpecs": {"Worker": {"replicas": 0, "template": PT}}},
            "spec.pytorchReplicaSpecs[Worker].replicas: Forbidden: must be at least 1",
            id="worker-zero",
        ),
        pytest.param(
            {"pytorchReplicaSpecs": {"worker": {"replicas": 1, "template": PT}}},
            'spec.pytorchReplicaSpecs[worker]: Unsupported value: "worker": supported values: '
            '"Master", "Worker"',
            id="lower-case-key",
        ),
        pytest.param(
            {"pytorchReplicaSpecs": {"Launcher": {"replicas": 1, "template": PT}}},
            'spec.pytorchReplicaSpecs[Launcher]: Unsupported value: "Launcher"',
            id="launcher",
        ),
        pytest.param(
            {"elasticPolicy": {}, "pytorchReplicaSpecs": {"Master": {"replicas": 1, "template": PT}}},
            "spec.pytorchReplicaSpecs[Worker]: Required value: must be configured if elastic policy is used",
            id="elastic-without-worker",
        ),
        pytest.param(
            {
                "nprocPerNode": "1",
                "elasticPolicy": {"nProcPerNode": 2},
                "pytorchReplicaSpecs": {"Worker": {"replicas": 1, "template": PT}},
            },
            "spec.elasticPolicy.nProcPerNode: Forbidden: must not be used with spec.nprocPerNode",
            id="both-nproc",
        ),
        pytest.param(
            {"nprocPerNode": "4096", "pytorchReplicaSpecs": {"Worker": {"replicas": 1, "template": PT}}},
            'spec.nprocPerNode: Invalid value: "4096": must be less than or equal to 1024',
            id="nproc-past-the-bound",
        ),
        pytest.param(
            {
                "pytorchReplicaSpecs": {
                    "Master": {"replicas": 1, "template": PT},
                    "Worker": {"replicas": 2048, "template": PT},
                }
            },
            "spec.pytorchReplicaSpecs: Invalid value: 2049: the replicas of all replica types add up to 2049",
            id="total-past-the-bound",
        ),
    ],
)
def test_rejections(spec, expected):
    assert any(expected in text for text in rejection(spec)), rejection(spec)


def test_deprecated_nproc_is_a_warning():
    spec = {
        "elasticPolicy": {"nProcPerNode": 4},
        "pytorchReplicaSpecs": {"Worker": {"replicas": 2, "template": PT}},
    }
    assert rejection(spec) == []
    assert warnings(spec) == ["spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"]


def test_valid_master_and_workers_pass():
    spec = {
        "pytorchReplicaSpecs": {
            "Master": {"replicas": 1, "template": PT},
            "Worker": {"replicas": 3, "template": PT},
        }
    }
    assert rejection(spec) == []


def test_both_nproc_fields_agreeing_is_only_deprecated():
    # Kubeflow's SDK writes both fields with one value (shared/samples); upstream rejects it, we run it
    spec = {
        "nprocPerNode": "2",
        "elasticPolicy": {"nProcPerNode": 2},
        "pytorchReplicaSpecs": {"Worker": {"replicas": 2, "template": PT}},
    }
    assert rejection(spec) == []
    assert warnings(spec) == ["spec.elasticPolicy.nProcPerNode is deprecated, use spec.nprocPerNode instead"]
