"""`JobModel.narrowed`: how every plug-in types the job its hooks receive, instead of a helper per package."""

import pytest

from training_operator.core.testing.demo_kind import DemoJob, a_body
from training_operator.core.testing.framework import TestJob


def test_a_job_of_the_kind_comes_back_as_itself():
    job = DemoJob.model_validate(a_body())
    assert DemoJob.narrowed(job) is job


def test_a_job_of_another_kind_is_refused_naming_both_kinds():
    job = DemoJob.model_validate(a_body())
    with pytest.raises(TypeError, match="expected a TestJob, got DemoJob"):
        TestJob.narrowed(job)
