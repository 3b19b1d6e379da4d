"""TFJobs with `enableDynamicWorker` reconciled by the common planner on a fake cluster (frameworks.md §1.5,
§1.7, §1.8; acceptance TF-4, TF-5, TF-8; common.md §21 cases 24 and 25 with the TF flag).

Covers: every created pod's exact sparse TF_CONFIG (a worker sees itself and every PS, a PS itself, a chief
nothing, `"ps":null` for workers of a PS-less job); a failed Worker (restartPolicy Never) fails the job
without the flag and is ignored with it, the failed pod staying in its slot and not recreated; a failed PS
still fails a dynamic job; scaling the Worker count up creates only the missing indices, whose TF_CONFIG sees
the new cluster while existing pods keep theirs; scaling down deletes indices >= replicas.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine.observed import PodRecord
from training_operator.core.testing.builders import a_job
from training_operator.core.testing.cluster import FakeCluster, creates_of
from training_operator.tf.plugin import FRAMEWORK

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
KIND = FRAMEWORK.kind
TF = {"spec": {"containers": [{"name": "tensorflow", "image": "tf:1"}]}}


def tfjob(name: str, replicas: dict[str, int | None], **spec: Any) -> dict[str, Any]:
    templates = {t: TF for t in replicas}
    return a_job(
        kind=KIND, name=name, replicas=replicas, templates=templates, restart_policy="Never", spec=spec
    )


def started(body: dict[str, Any]) -> FakeCluster:
    cluster = FakeCluster(FRAMEWORK, body)
    cluster.reconcile_until_quiet(NOW)
    return cluster


def created_tf_configs(cluster: FakeCluster) -> dict[str, str]:
    """Pod name → the raw TF_CONFIG value of every pod the engine created so far, in creation order."""
    found = {}
    for plan in cluster.plans:
        for create in creates_of(plan, "Pod"):
            (container,) = create.body["spec"]["containers"]
            (entry,) = container["env"]
            assert entry["name"] == "TF_CONFIG"
            found[create.name] = entry["value"]
    return found


def last_condition(status: Mapping[str, Any]) -> tuple[str, str, str, str]:
    c = status["conditions"][-1]
    return (c["type"], c["status"], c["reason"], c["message"])


def fail(name: str) -> Callable[[PodRecord], PodRecord]:
    def change(pod: PodRecord) -> PodRecord:
        return replace(pod, phase="Failed") if pod.name == name else pod

    return change


TF4 = tfjob("dyn", {"PS": 2, "Worker": 3}, enableDynamicWorker=True)
TF5 = tfjob("dyn2", {"Chief": None, "Worker": 2}, enableDynamicWorker=True)
DYN_PS = '["dyn-ps-0.default.svc:2222","dyn-ps-1.default.svc:2222"]'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            TF4,
            {
                "dyn-ps-0": '{"cluster":{"worker":{},"ps":["dyn-ps-0.default.svc:2222"]},'
                '"task":{"type":"ps","index":0}}',
                "dyn-ps-1": '{"cluster":{"worker":{},"ps":["dyn-ps-1.default.svc:2222"]},'
                '"task":{"type":"ps","index":1}}',
                "dyn-worker-0": '{"cluster":{"worker":{"0":"dyn-worker-0.default.svc:2222"},'
                f'"ps":{DYN_PS}}},"task":{{"type":"worker","index":0}}}}',
                "dyn-worker-1": '{"cluster":{"worker":{"1":"dyn-worker-1.default.svc:2222"},'
                f'"ps":{DYN_PS}}},"task":{{"type":"worker","index":1}}}}',
                "dyn-worker-2": '{"cluster":{"worker":{"2":"dyn-worker-2.default.svc:2222"},'
                f'"ps":{DYN_PS}}},"task":{{"type":"worker","index":2}}}}',
            },
            id="TF-4-ps-and-workers",
        ),
        pytest.param(
            TF5,
            {
                "dyn2-chief-0": '{"cluster":{"worker":{},"ps":[]},"task":{"type":"chief","index":0}}',
                "dyn2-worker-0": '{"cluster":{"worker":{"0":"dyn2-worker-0.default.svc:2222"},"ps":null},'
                '"task":{"type":"worker","index":0}}',
                "dyn2-worker-1": '{"cluster":{"worker":{"1":"dyn2-worker-1.default.svc:2222"},"ps":null},'
                '"task":{"type":"worker","index":1}}',
            },
            id="TF-5-chief-and-ps-less-workers",
        ),
    ],
)
def test_every_created_pod_gets_the_sparse_tf_config(body, expected):
    assert created_tf_configs(started(body)) == expected


FAILED_F = ("Failed", "True", "TFJobFailed", "TFJob default/f has failed because 1 Worker replica(s) failed.")
RUNNING_F = ("Running", "True", "TFJobRunning", "TFJob default/f is running.")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param({}, FAILED_F, id="TF-8-static-workers-fail-the-job"),
        pytest.param({"enableDynamicWorker": True}, RUNNING_F, id="TF-8-dynamic-worker-failure-ignored"),
    ],
)
def test_tf8_worker_failure(spec, expected):
    cluster = started(tfjob("f", {"Worker": 2}, **spec))
    cluster.run_all()
    cluster.set_pods(fail("f-worker-1"))
    cluster.reconcile_until_quiet(NOW)
    assert last_condition(cluster.status) == expected
    assert ("completionTime" in cluster.status) is (expected == FAILED_F)
    assert not any(c["type"] == "Failed" for c in cluster.status["conditions"][:-1])
    phases = {p.name: p.phase for p in cluster.snapshot.pods}
    assert phases == {"f-worker-0": "Running", "f-worker-1": "Failed"}  # never recreated


def test_a_failed_ps_still_fails_a_dynamic_job():
    cluster = started(tfjob("f", {"PS": 1, "Worker": 2}, enableDynamicWorker=True))
    cluster.run_all()
    cluster.set_pods(fail("f-ps-0"))
    cluster.reconcile_until_quiet(NOW)
    assert last_condition(cluster.status) == (
        "Failed",
        "True",
        "TFJobFailed",
        "TFJob default/f has failed because 1 PS replica(s) failed.",
    )


def set_workers(count: int) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        body["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = count

    return change


def worker_indices(cluster: FakeCluster) -> list[int]:
    return sorted(
        int(p.labels[labels.REPLICA_INDEX])
        for p in cluster.snapshot.pods
        if p.labels[labels.REPLICA_TYPE] == "worker"
    )


def test_scale_up_creates_only_missing_workers_and_they_see_the_new_cluster():
    cluster = started(tfjob("grow", {"PS": 1, "Worker": 1}, enableDynamicWorker=True))
    before = created_tf_configs(cluster)
    cluster.run_all()
    cluster.update_spec(set_workers(3))
    cluster.reconcile_until_quiet(NOW)
    assert worker_indices(cluster) == [0, 1, 2]
    after = created_tf_configs(cluster)
    assert {k: v for k, v in after.items() if k in before} == before
    assert json.loads(after["grow-worker-2"])["cluster"] == {
        "worker": {"2": "grow-worker-2.default.svc:2222"},
        "ps": ["grow-ps-0.default.svc:2222"],
    }
    assert sorted(after) == ["grow-ps-0", "grow-worker-0", "grow-worker-1", "grow-worker-2"]


def test_scale_down_deletes_workers_past_the_new_count():
    cluster = started(tfjob("shrink", {"Worker": 3}, enableDynamicWorker=True))
    cluster.run_all()
    cluster.update_spec(set_workers(2))
    plans = cluster.reconcile_until_quiet(NOW)
    deleted = [d.name for plan in plans for d in plan.deletes if d.kind == "Pod"]
    assert deleted == ["shrink-worker-2"]
    assert worker_indices(cluster) == [0, 1]
