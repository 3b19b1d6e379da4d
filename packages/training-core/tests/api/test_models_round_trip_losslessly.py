"""Jobs survive parse → serialize unchanged.

Covers: unknown fields at every level (metadata, spec, replica spec, pod template), explicit empty values,
and that defaulting works on a copy (the parsed job is never mutated).
"""

import copy

import hypothesis.strategies as st
from hypothesis import given

from training_operator.core.testing.demo_kind import DemoFramework, a_body

framework = DemoFramework()

json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=5))
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(min_size=1, max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


def test_unknown_fields_survive_everywhere():
    body = a_body()
    body["metadata"]["futureMeta"] = {"x": 1}
    body["spec"]["futureSpec"] = [1, 2]
    body["spec"]["runPolicy"] = {"cleanPodPolicy": "", "futurePolicy": True}
    worker = body["spec"]["demoReplicaSpecs"]["Worker"]
    worker["futureReplica"] = "y"
    worker["template"]["spec"]["containers"][0]["resizePolicy"] = [{"resourceName": "cpu"}]
    assert framework.parse(body).body() == body


@given(extra=json_value)
def test_any_pod_template_content_round_trips(extra):
    body = a_body()
    body["spec"]["demoReplicaSpecs"]["Worker"]["template"]["spec"]["anything"] = extra
    assert framework.parse(copy.deepcopy(body)).body() == body


def test_defaulting_leaves_the_parsed_job_alone():
    body = a_body()
    job = framework.parse(body)
    defaulted = framework.default(job)
    assert job.body() == body
    assert defaulted.replica_specs()["Worker"].replicas == 1
