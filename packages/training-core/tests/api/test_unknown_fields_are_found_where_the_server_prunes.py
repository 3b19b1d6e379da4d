"""Strict field validation (core.strict): the fields a job's CRD schema does not declare, named by the paths
the API server's pruning uses, so the CLI and the SDK refuse `replicass: 2` before a server prunes it.

Covers: known fields and pod-template content (preserved, never unknown); typos at every level of the spec;
ObjectMeta's own fields only under `metadata`; list items by index; kubectl's message.
"""

import pytest

from training_operator.core import strict
from training_operator.core.errors import InvalidJob
from training_operator.core.testing import TestFramework, a_job


def test_a_valid_job_has_no_unknown_fields_even_in_its_pod_template():
    job = a_job(replicas={"Worker": 2}, run_policy={"backoffLimit": 3})
    job["spec"]["testReplicaSpecs"]["Worker"]["template"]["spec"]["anything"] = {"goes": [1]}

    strict.check(job, TestFramework())


@pytest.mark.parametrize(
    ("where", "key", "path"),
    [
        pytest.param(("spec",), "bogus", "spec.bogus", id="spec"),
        pytest.param(("spec", "testReplicaSpecs", "Worker"), "replicass", None, id="replica-spec"),
        pytest.param(("spec", "runPolicy"), "backofLimit", "spec.runPolicy.backofLimit", id="run-policy"),
        pytest.param(("metadata",), "nmae", "metadata.nmae", id="object-meta"),
        pytest.param((), "extra", "extra", id="root"),
    ],
)
def test_each_typo_is_named_by_its_path(where, key, path):
    job = a_job(run_policy={"backoffLimit": 1})
    cursor = job
    for step in where:
        cursor = cursor[step]
    cursor[key] = 1

    with pytest.raises(strict.UnknownFields) as refused:
        strict.check(job, TestFramework())

    expected = path or "spec.testReplicaSpecs.Worker.replicass"
    assert refused.value.paths == (expected,)
    assert str(refused.value) == f'strict decoding error: unknown field "{expected}"'
    assert isinstance(refused.value, InvalidJob)  # every caller that reports field errors reports these


def test_list_items_are_walked_by_index():
    schema = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
    schema["properties"]["items"]["items"]["properties"] = {"name": {"type": "string"}}

    found = strict.unknown_fields({"items": [{"name": "a"}, {"name": "b", "nmae": "c"}]}, schema)

    assert found == ["items[1].nmae"]
