"""create_job(train_func=...) builds a job that really runs: the operator starts it on the local cluster.

The local cluster runs each container as a local process and ignores the image, so the generated
`bash -c` script (write the function's source to a file, run it with `python -u`) runs as it would in a pod;
with one worker no torchrun or pip is needed. Also: image-mode jobs of every supported kind are accepted by
the generated CRDs' schemas.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from localapi import World

from training_operator.unified.sdk import TrainingClient


def say_hello(parameters):
    import sys

    print("hello from", parameters["who"], "on python", sys.version_info[0])


def test_a_training_function_runs_and_its_output_is_in_the_log(client: TrainingClient, operator: Path):
    client.create_job(name="hello", train_func=say_hello, parameters={"who": "the cluster"}, num_workers=1)

    job = client.wait_for_job_conditions(
        "hello", expected_conditions={"Succeeded", "Failed"}, wait_timeout=90
    )

    assert client.is_job_succeeded(job=job), operator.read_text()[-3000:]
    found, _ = client.get_job_logs("hello")
    assert found == {"hello-master-0": "hello from the cluster on python 3\n"}


@pytest.mark.parametrize(
    ("kind", "replica_key"),
    [
        pytest.param("TFJob", "tfReplicaSpecs", id="tf"),
        pytest.param("XGBoostJob", "xgbReplicaSpecs", id="xgboost"),
        pytest.param("MXJob", "mxReplicaSpecs", id="mxnet"),
    ],
)
def test_image_mode_jobs_are_accepted_by_the_crds(client: TrainingClient, world: World, kind, replica_key):
    created = client.create_job(
        name="img", job_kind=kind, base_image="local", num_workers=2, resources_per_worker={"cpu": "1"}
    )

    stored = world.custom.get_namespaced_custom_object(
        "kubeflow.org", "v1", world.namespace, created.body()["kind"].lower() + "s", "img"
    )
    specs = stored["spec"][replica_key]
    assert all(
        s["template"]["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1"} for s in specs.values()
    )
