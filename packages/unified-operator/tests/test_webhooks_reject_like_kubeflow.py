"""Admission: the same rules as the engine, one handler per v1 kind at upstream's path, and rejections
that read as controller-runtime's (403 Forbidden, aggregated field errors); MPIJob v2beta1 gets none.
"""

import copy

import kopf
import pytest

from training_operator.core.testing.demo_kind import DemoFramework, a_body
from training_operator.unified import composition, settings, webhooks

FRAMEWORK = DemoFramework()


def test_a_valid_job_is_admitted():
    assert webhooks.rejection(FRAMEWORK, a_body()) is None


def test_a_bad_job_is_rejected_with_every_field_named():
    body = a_body(Worker={"replicas": 1, "template": {"spec": {"containers": [{"name": "demo"}]}}})
    message = webhooks.rejection(FRAMEWORK, body)
    assert message is not None
    assert "spec.demoReplicaSpecs[Worker].template.spec.containers[0].image" in message


def test_a_schema_error_is_rejected_with_its_wire_path():
    body = a_body()
    body["spec"]["demoReplicaSpecs"]["Worker"]["replicas"] = "two"
    message = webhooks.rejection(FRAMEWORK, body)
    assert message is not None
    assert "spec.demoReplicaSpecs[Worker].replicas" in message


def test_an_update_is_checked_against_the_old_object():
    old = a_body()
    new = copy.deepcopy(old)
    old["spec"]["runPolicy"] = {"managedBy": "kubeflow.org/training-operator"}
    new["spec"]["runPolicy"] = {"managedBy": "kueue.x-k8s.io/multikueue"}
    assert webhooks.rejection(FRAMEWORK, new, old) is not None
    assert webhooks.rejection(FRAMEWORK, new) is None


def queue(name: str | None) -> dict:
    body = a_body()
    if name is not None:
        body["spec"]["runPolicy"] = {"schedulingPolicy": {"queue": name}}
    return body


@pytest.mark.parametrize(
    ("before", "after", "rejected"),
    [
        pytest.param("initial-queue", "test", True, id="changed"),
        pytest.param("initial-queue", "initial-queue", False, id="same"),
        pytest.param(None, "test", False, id="added-later"),
        pytest.param("initial-queue", None, False, id="removed"),
    ],
)
def test_the_queue_is_immutable_once_set(before, after, rejected):
    # common.md §3.2 V8 / acceptance case 8, also enforced by the CRD's CEL transition rule
    message = webhooks.rejection(FRAMEWORK, queue(after), queue(before))
    assert (message is not None) is rejected
    if rejected:
        assert "spec.runPolicy.schedulingPolicy.queue is immutable" in message


def test_handler_ids_are_upstreams_paths():
    assert webhooks.handler_id(FRAMEWORK.kind) == "validate-kubeflow-org-v1-demojob"


@pytest.mark.parametrize("disabled", [False, True])
def test_each_v1_kind_gets_one_validating_handler_unless_disabled(disabled):
    args = ["--disable-webhooks"] if disabled else []
    parts = composition.compose(settings.parse(args, environ={}), {"demojob": FRAMEWORK})
    ids = [h.id for h in parts.registry._webhooks.get_all_handlers()]
    assert ids == ([] if disabled else ["validate-kubeflow-org-v1-demojob"])


async def test_the_server_adds_reason_forbidden_to_403_answers(monkeypatch):
    server = webhooks.ForbiddingWebhookServer(insecure=True, port=0, addr="127.0.0.1", host="127.0.0.1")
    denied = {"response": {"uid": "u", "allowed": False, "status": {"code": 403, "message": "no"}}}

    async def fn(data, **_):
        return copy.deepcopy(denied)

    wrapped = {}

    async def capture(inner):
        wrapped["fn"] = inner
        yield {"url": "x"}

    monkeypatch.setattr(kopf.WebhookServer, "__call__", lambda self, inner: capture(inner))
    async for _ in server(fn):
        break
    answer = await wrapped["fn"]({})
    assert answer["response"]["status"] == {"code": 403, "message": "no", "reason": "Forbidden"}


class Deprecating(DemoFramework):
    """A plug-in using the optional `admission_warnings` hook."""

    def admission_warnings(self, job):
        return (f"{job.metadata.name} uses a deprecated field",)


def test_a_plugins_warnings_come_with_admission_and_with_refusal():
    framework = Deprecating()
    warned = ("job-a uses a deprecated field",)
    assert webhooks.review(framework, a_body()) == webhooks.Verdict(None, warned)
    bad = a_body(Worker={"replicas": 1, "template": {"spec": {"containers": [{"name": "demo"}]}}})
    verdict = webhooks.review(framework, bad)
    assert verdict.rejection is not None
    assert verdict.warnings == warned


def test_a_plugin_without_the_hook_warns_of_nothing():
    assert webhooks.review(FRAMEWORK, a_body()).warnings == ()
    job = FRAMEWORK.parse(a_body())
    assert webhooks.admission_warnings(object(), job) == ()  # a plug-in that lacks the optional hook
