"""Every job in /work/shared/samples/kubeflow-sdk-wire-format.json, exactly as Kubeflow's SDK
(`kubeflow-training` 1.9.4) puts it on the wire, is accepted by our API server and CRDs without losing a
field, and our operator reconciles it (sdk-and-ops.md A.4, A.9).

Each sample is created with the kubernetes `CustomObjectsApi` in a namespace of its own. The one change made
to a body is `metadata.namespace`, set to that namespace: the API server refuses a body whose namespace
differs from the request path's (400), which is also why the SDK's own `create_job_call_3` (body `default`,
path `ns-override`) could not be sent as recorded (upstream SDK bug, A.9-13). The stored object is read back
and must hold every field the sample sent, with the same value (a structural schema would otherwise prune
unknown fields quietly, A.4-1). Then the job's `Created` condition must appear. Pods that request
`nvidia.com/gpu` cannot be placed on this GPU-less node, so for those samples every pod must be Pending with
PodScheduled=False/Unschedulable. Each job is deleted at the end.
"""

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest

pytestmark = pytest.mark.e2e

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "data" / "kubeflow-sdk-wire-format.json"
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
GPU = "nvidia.com/gpu"
WAIT_SECONDS = 120


def load_samples() -> dict[str, dict[str, Any]]:
    if not SAMPLES.exists():
        return {}
    return json.loads(SAMPLES.read_text())


def request(sample: dict[str, Any]) -> tuple[str, str, str, dict[str, Any]]:
    """(group, version, plural, body) of a sample: a recorded `create_job` call, or a bare job."""
    if "body" in sample:
        return sample["group"], sample["version"], sample["plural"], sample["body"]
    group, version = sample["apiVersion"].split("/")
    return group, version, sample["kind"].lower() + "s", sample


def replica_specs(body: dict[str, Any]) -> dict[str, Any]:
    return next(value for key, value in body["spec"].items() if key.endswith("ReplicaSpecs"))


def requests_gpu(body: dict[str, Any]) -> bool:
    for spec in replica_specs(body).values():
        for container in spec["template"]["spec"].get("containers") or []:
            resources = container.get("resources") or {}
            if any(GPU in (resources.get(part) or {}) for part in ("requests", "limits")):
                return True
    return False


def missing_or_changed(sent: Any, stored: Any, path: str = "") -> list[str]:
    """Every path whose sent value is absent from, or different in, the stored object."""
    if isinstance(sent, dict):
        if not isinstance(stored, dict):
            return [f"{path or '.'}: sent a map, stored {stored!r}"]
        problems = []
        for key, value in sent.items():
            if key not in stored:
                problems.append(f"{path}.{key}: pruned (sent {value!r})")
            else:
                problems.extend(missing_or_changed(value, stored[key], f"{path}.{key}"))
        return problems
    if isinstance(sent, list):
        if not isinstance(stored, list) or len(stored) != len(sent):
            return [f"{path}: sent {sent!r}, stored {stored!r}"]
        problems = []
        for index, (one, other) in enumerate(zip(sent, stored, strict=True)):
            problems.extend(missing_or_changed(one, other, f"{path}[{index}]"))
        return problems
    return [] if sent == stored else [f"{path}: sent {sent!r}, stored {stored!r}"]


def condition_true(kind: str) -> Callable[[dict[str, Any]], bool]:
    def check(job: dict[str, Any]) -> bool:
        conditions = (job.get("status") or {}).get("conditions") or []
        return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)

    return check


def unschedulable(pod: Any) -> bool:
    return pod.status.phase == "Pending" and any(
        c.type == "PodScheduled" and c.status == "False" and c.reason == "Unschedulable"
        for c in pod.status.conditions or []
    )


class Sample:
    """One sample's job in its own namespace, followed through watches."""

    def __init__(self, kube: kubernetes.client.ApiClient, key: str, sample: dict[str, Any]) -> None:
        self.custom = kubernetes.client.CustomObjectsApi(kube)
        self.core = kubernetes.client.CoreV1Api(kube)
        self.group, self.version, self.plural, sent = request(sample)
        self.namespace = f"sample-{uuid.uuid4().hex[:10]}"
        self.body = copy.deepcopy(sent)
        self.body["metadata"]["namespace"] = self.namespace
        self.name = self.body["metadata"]["name"]
        self.selector = f"metadata.name={self.name}"
        self.key = key

    def args(self) -> tuple[str, str, str, str]:
        return self.group, self.version, self.namespace, self.plural

    def wait_job(self, until: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        listing = self.custom.list_namespaced_custom_object(*self.args(), field_selector=self.selector)
        current = listing["items"][0] if listing["items"] else {}
        if current and until(current):
            return current
        watch = kubernetes.watch.Watch()
        for event in watch.stream(
            self.custom.list_namespaced_custom_object,
            *self.args(),
            field_selector=self.selector,
            resource_version=listing["metadata"]["resourceVersion"],
            timeout_seconds=WAIT_SECONDS,
        ):
            current = event["object"]
            if event["type"] != "DELETED" and until(current):
                watch.stop()
                return current
        pytest.fail(f"{self.key}: {what} not seen in {WAIT_SECONDS}s; status: {current.get('status')}")

    def wait_gone(self) -> None:
        listing = self.custom.list_namespaced_custom_object(*self.args(), field_selector=self.selector)
        if not listing["items"]:
            return
        watch = kubernetes.watch.Watch()
        for event in watch.stream(
            self.custom.list_namespaced_custom_object,
            *self.args(),
            field_selector=self.selector,
            resource_version=listing["metadata"]["resourceVersion"],
            timeout_seconds=WAIT_SECONDS,
        ):
            if event["type"] == "DELETED":
                watch.stop()
                return
        pytest.fail(f"{self.key}: job still exists {WAIT_SECONDS}s after its deletion")

    def wait_pods(self, until: Callable[[list[Any]], bool], what: str) -> list[Any]:
        selector = f"{JOB_NAME_LABEL}={self.name}"
        listing = self.core.list_namespaced_pod(self.namespace, label_selector=selector)
        if until(listing.items):
            return list(listing.items)
        current = listing.items
        watch = kubernetes.watch.Watch()
        for _ in watch.stream(
            self.core.list_namespaced_pod,
            self.namespace,
            label_selector=selector,
            resource_version=listing.metadata.resource_version,
            timeout_seconds=WAIT_SECONDS,
        ):
            current = self.core.list_namespaced_pod(self.namespace, label_selector=selector).items
            if until(current):
                watch.stop()
                return list(current)
        states = {p.metadata.name: (p.status.phase, p.status.conditions) for p in current}
        pytest.fail(f"{self.key}: pods never {what} in {WAIT_SECONDS}s: {states}")


SAMPLE_ITEMS = load_samples()


@pytest.fixture
def sample(
    request: pytest.FixtureRequest, kube: kubernetes.client.ApiClient, operator: Any
) -> Iterator[Sample]:
    """The sample's job, created in a fresh namespace; deleted (and its namespace with it) afterwards."""
    key = request.param
    job = Sample(kube, key, SAMPLE_ITEMS[key])
    job.core.create_namespace(
        kubernetes.client.V1Namespace(metadata=kubernetes.client.V1ObjectMeta(name=job.namespace))
    )
    try:
        yield job
    finally:
        try:
            job.custom.delete_namespaced_custom_object(*job.args(), job.name)
        except kubernetes.client.ApiException as error:
            if error.status != 404:
                raise
        job.wait_gone()
        job.core.delete_namespace(job.namespace)


@pytest.mark.skipif(not SAMPLE_ITEMS, reason=f"{SAMPLES} is missing")
@pytest.mark.parametrize("sample", sorted(SAMPLE_ITEMS), indirect=True)
def test_sample_is_stored_whole_and_reconciled(sample):
    created = sample.custom.create_namespaced_custom_object(*sample.args(), copy.deepcopy(sample.body))
    assert created["metadata"]["name"] == sample.name

    stored = sample.custom.get_namespaced_custom_object(*sample.args(), sample.name)
    assert missing_or_changed(sample.body, stored) == [], f"{sample.key}: the API server lost fields"

    sample.wait_job(condition_true("Created"), "Created=True")

    if requests_gpu(sample.body):
        expected = sum(spec.get("replicas", 1) for spec in replica_specs(sample.body).values())
        pods = sample.wait_pods(
            lambda pods: len(pods) == expected and all(unschedulable(pod) for pod in pods),
            f"all {expected} Pending with PodScheduled=False/Unschedulable",
        )
        for pod in pods:
            message = next(c.message for c in pod.status.conditions if c.type == "PodScheduled")
            assert GPU in (message or ""), message
        job = sample.custom.get_namespaced_custom_object(*sample.args(), sample.name)
        assert not condition_true("Running")(job), job.get("status")
