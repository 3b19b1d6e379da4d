"""`local run` points every replica's pods at the job file's folder (standing in for the image WORKDIR),
for every kind's replica map, without overriding an annotation the user set."""

from pathlib import Path

import pytest

from training_operator.unified.local import WORKDIR_ANNOTATION, with_working_dir


@pytest.mark.parametrize(
    "key", ["pytorchReplicaSpecs", "tfReplicaSpecs", "mpiReplicaSpecs", "xgbReplicaSpecs"]
)
def test_every_replica_gets_the_folder(key):
    job = {"spec": {key: {"A": {"template": {"spec": {}}}, "B": {"template": {"metadata": {"labels": {}}}}}}}
    result = with_working_dir(job, Path("/jobs/here"))
    for replica in result["spec"][key].values():
        assert replica["template"]["metadata"]["annotations"][WORKDIR_ANNOTATION] == "/jobs/here"


def test_a_users_own_annotation_wins():
    template = {"metadata": {"annotations": {WORKDIR_ANNOTATION: "/mine"}}}
    job = {"spec": {"pytorchReplicaSpecs": {"Worker": {"template": template}}}}
    result = with_working_dir(job, Path("/jobs/here"))
    assert result["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["metadata"]["annotations"] == {
        WORKDIR_ANNOTATION: "/mine"
    }
