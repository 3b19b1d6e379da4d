"""`core.render`, the library face of `training-operator render`: a valid job gives exactly the objects the
operator's first reconcile creates (namespaced, owned by a placeholder UID, defaults applied, JSON-plain);
an invalid one raises InvalidJob naming every bad field, before any default is applied; a child that
cannot be built is a ReconcileError; the time passed in never changes the objects."""

import json
from datetime import UTC, datetime

import pytest

from training_operator.core import InvalidJob, ReconcileError, Rendered, Snapshot, render
from training_operator.core.engine import planner
from training_operator.core.framework import EngineOptions
from training_operator.core.rendering import PLACEHOLDER_UID, as_stored
from training_operator.core.testing.demo_kind import DemoFramework, a_body

DEMO = DemoFramework()
WORKERS = {"replicas": 2, "template": {"spec": {"containers": [{"name": "demo", "image": "img"}]}}}
NOW = datetime(2024, 5, 1, tzinfo=UTC)


def test_a_valid_job_gives_the_first_reconciles_pods_and_services():
    body = a_body(Worker=WORKERS)
    del body["metadata"]["namespace"]

    rendered = render(DEMO, body)

    names = [(o["kind"], o["metadata"]["name"]) for o in rendered.objects]
    assert names == [
        ("Pod", "job-a-worker-0"),
        ("Pod", "job-a-worker-1"),
        ("Service", "job-a-worker-0"),
        ("Service", "job-a-worker-1"),
    ]
    for body_ in rendered.objects:
        assert body_["metadata"]["namespace"] == "default"
        assert body_["metadata"]["ownerReferences"][0]["uid"] == PLACEHOLDER_UID
    stored = DEMO.default(as_stored(DEMO.parse(body)))
    first = planner.plan(stored, DEMO, Snapshot(), now=NOW, options=EngineOptions())
    assert list(rendered.objects) == [json.loads(json.dumps(c.body, default=list)) for c in first.creates]


def test_the_job_comes_back_defaulted_and_objects_by_kind():
    rendered = render(DEMO, a_body(Worker=WORKERS))

    assert isinstance(rendered, Rendered)
    assert rendered.job.run_policy.clean_pod_policy is not None  # a default the raw job did not have
    assert [pod["metadata"]["name"] for pod in rendered.of_kind("Pod")] == [
        "job-a-worker-0",
        "job-a-worker-1",
    ]
    assert rendered.of_kind("ConfigMap") == []


def test_the_objects_are_plain_json_data():
    rendered = render(DEMO, a_body(Worker=WORKERS))

    assert json.loads(json.dumps(rendered.objects)) == list(rendered.objects)


def test_the_time_never_changes_the_objects():
    body = a_body(Worker=WORKERS)

    assert render(DEMO, body, now=NOW).objects == render(DEMO, body).objects


@pytest.mark.parametrize(
    ("worker", "field"),
    [
        pytest.param({"replicas": 1, "template": {}}, "template.spec.containers: Required value", id="rule"),
        pytest.param({"replicas": "two", "template": {}}, "replicas", id="schema"),
    ],
)
def test_an_invalid_job_names_every_bad_field(worker, field):
    with pytest.raises(InvalidJob) as error:
        render(DEMO, a_body(Worker=worker))

    assert error.value.problems
    assert f"spec.demoReplicaSpecs[Worker].{field}" in str(error.value)


def test_a_child_that_cannot_be_built_is_a_reconcile_error(monkeypatch):
    def refuse(job, replica, pod, *, options):
        raise ReconcileError("the pod template has no container named demo")

    monkeypatch.setattr(DEMO, "replica_pod", refuse)

    with pytest.raises(ReconcileError, match="no container named demo"):
        render(DEMO, a_body(Worker=WORKERS))
