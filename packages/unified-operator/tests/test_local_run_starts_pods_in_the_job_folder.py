"""`local run` points the job's pods at the job file's folder (standing in for the image WORKDIR) with an
annotation on the job itself, which the local node reads through the pods' owners, for every kind; an
annotation the user set wins."""

from pathlib import Path

import pytest

from training_operator.unified.localcli import WORKDIR_ANNOTATION, with_working_dir


@pytest.mark.parametrize("key", ["pytorchReplicaSpecs", "tfReplicaSpecs", "mpiReplicaSpecs"])
def test_the_job_gets_the_folder_and_its_templates_stay_as_written(key):
    job = {"metadata": {"name": "j"}, "spec": {key: {"A": {"template": {"spec": {}}}}}}
    result = with_working_dir(job, Path("/jobs/here"))
    assert result["metadata"]["annotations"] == {WORKDIR_ANNOTATION: "/jobs/here"}
    assert result["spec"] == job["spec"]
    assert "annotations" not in job["metadata"]  # the caller's body is not changed


def test_a_users_own_annotation_wins():
    job = {"metadata": {"name": "j", "annotations": {WORKDIR_ANNOTATION: "/mine", "other": "kept"}}}
    result = with_working_dir(job, Path("/jobs/here"))
    assert result["metadata"]["annotations"] == {WORKDIR_ANNOTATION: "/mine", "other": "kept"}
