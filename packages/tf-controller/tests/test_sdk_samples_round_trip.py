"""Kubeflow SDK TFJob bodies (from shared/samples/kubeflow-sdk-wire-format.json) are accepted unchanged.

Covers: every TFJob sample (and `create_job` request body) parses, serialises back to exactly the same JSON,
passes admission, and builds pods whose TF_CONFIG names every replica of the job and the pod's own task (the
single-worker sample is local and gets none).
"""

import json
from pathlib import Path

import pytest

from training_operator.core.testing import replica_pods, samples
from training_operator.tf import tf_config
from training_operator.tf.api import TFJob
from training_operator.tf.plugin import FRAMEWORK

# the TFJob entries of shared/samples/kubeflow-sdk-wire-format.json (kubeflow-training 1.9.4), verbatim
SAMPLES_FILE = Path(__file__).parent / "data" / "kubeflow_sdk_tfjobs.json"


SAMPLES = [pytest.param(body, id=key) for key, body in samples.load(SAMPLES_FILE).items()]


def test_every_tf_sample_is_found():
    assert len(SAMPLES) == 3


@pytest.mark.parametrize("body", SAMPLES)
def test_accepted_unchanged(body):
    samples.assert_accepted_unchanged(FRAMEWORK, body)


@pytest.mark.parametrize("body", SAMPLES)
def test_pods_get_tf_config_naming_every_replica(body):
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    assert isinstance(job, TFJob)
    specs = {key: spec for key, spec in job.replica_specs().items() if spec is not None}
    namespace = job.namespace
    expected_cluster = {
        key.lower(): [f"{job.name}-{key.lower()}-{i}.{namespace}.svc:2222" for i in range(spec.replicas or 0)]
        for key, spec in sorted(specs.items(), key=lambda item: item[0].lower())
    }
    for replica_type, index, pod in replica_pods(FRAMEWORK, job):
        if not tf_config.is_distributed(job):
            assert "env" not in pod["spec"]["containers"][0]
            continue
        (entry,) = pod["spec"]["containers"][0]["env"]
        assert json.loads(entry["value"]) == {
            "cluster": expected_cluster,
            "task": {"type": replica_type.lower(), "index": index},
            "environment": "cloud",
        }
