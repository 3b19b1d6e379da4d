"""Kubeflow SDK XGBoostJob bodies (from shared/samples/kubeflow-sdk-wire-format.json) are accepted unchanged.

Covers: every XGBoostJob sample (and `create_job` request body) parses, serialises back to exactly the same
JSON, passes admission, and builds pods with the Rabit env for its Master and Workers.
"""

from pathlib import Path

import pytest

from training_operator.core.testing import replica_pods, samples
from training_operator.xgboost.plugin import FRAMEWORK

# the XGBoostJob entries of shared/samples/kubeflow-sdk-wire-format.json (kubeflow-training 1.9.4), verbatim
SAMPLES_FILE = Path(__file__).parent / "data" / "kubeflow_sdk_xgboostjobs.json"


SAMPLES = [pytest.param(body, id=key) for key, body in samples.load(SAMPLES_FILE).items()]


def test_every_xgboost_sample_is_found():
    assert len(SAMPLES) == 3


@pytest.mark.parametrize("body", SAMPLES)
def test_accepted_unchanged(body):
    samples.assert_accepted_unchanged(FRAMEWORK, body)


@pytest.mark.parametrize("body", SAMPLES)
def test_pods_get_rank_and_world_size(body):
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    specs = {key: spec for key, spec in job.replica_specs().items() if spec is not None}
    world = sum(spec.replicas or 0 for spec in specs.values())
    ranks = []
    for _, _, pod in replica_pods(FRAMEWORK, job):
        env = {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}
        assert (env["WORLD_SIZE"], env["MASTER_ADDR"]) == (str(world), f"{job.name}-master-0")
        ranks.append(int(env["RANK"]))
    assert sorted(ranks) == list(range(world))
