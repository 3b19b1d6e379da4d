"""Slots and counts (common.md §6.2, §6.3, §6.6; acceptance 16–18, 21, 22, 24–27; Q5, Q13, Q10).

Covers: pending pods create nothing and count nothing; running pods set Running and startTime; partial
state creates only the gaps; counting of failed/succeeded/terminating pods; Succeeded bookkeeping on a
finished job; scale down and up; slot sizing; duplicates; garbage and negative indexes; no gap filling at or
above `replicas`; stale replica statuses kept; selectors for scalable kinds.
"""

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from training_operator.core.engine import replicas
from training_operator.core.engine.observed import Snapshot
from training_operator.core.testing import (
    FakeCluster,
    ScalableTestFramework,
    TestFramework,
    a_job,
    a_pod,
    a_service,
    creates_of,
    pods_of,
    services_of,
    written_status,
)

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SHAPE = {"Worker": 4, "PS": 2}


def cluster_with(pods, services=(), **job):
    return FakeCluster(
        TestFramework(),
        a_job(replicas=job.pop("replicas", SHAPE), **job),
        snapshot=Snapshot(pods=tuple(pods), services=tuple(services)),
    )


def test_pending_pods_create_nothing_and_count_nothing():
    plan = cluster_with(pods_of("job-a", SHAPE, phase="Pending"), services_of("job-a", SHAPE)).reconcile(NOW)
    assert plan.creates == ()
    assert plan.status["replicaStatuses"] == {"Worker": {}, "PS": {}}
    assert [c["type"] for c in plan.status["conditions"]] == ["Created"]


def test_running_pods_set_running_and_start_time():
    plan = cluster_with(pods_of("job-a", SHAPE), services_of("job-a", SHAPE)).reconcile(NOW)
    assert plan.status["replicaStatuses"] == {"Worker": {"active": 4}, "PS": {"active": 2}}
    running = plan.status["conditions"][-1]
    assert (running["type"], running["reason"]) == ("Running", "TestJobRunning")
    assert running["message"] == "TestJob default/job-a is running."
    assert plan.status["startTime"] == "2024-05-01T10:00:00Z"


def test_partial_state_creates_only_the_gaps():
    pods = [
        a_pod("job-a", "Worker", 0, phase="Pending"),
        a_pod("job-a", "Worker", 1, phase="Pending"),
        a_pod("job-a", "Worker", 2),
        a_pod("job-a", "PS", 0, phase="Pending"),
    ]
    services = services_of("job-a", {"Worker": 2, "PS": 1})
    plan = cluster_with(pods, services).reconcile(NOW)
    assert sorted(c.name for c in creates_of(plan, "Pod")) == ["job-a-ps-1", "job-a-worker-3"]
    assert sorted(c.name for c in creates_of(plan, "Service")) == [
        "job-a-ps-1",
        "job-a-worker-2",
        "job-a-worker-3",
    ]
    assert plan.status["replicaStatuses"]["Worker"] == {"active": 1}
    assert plan.status["conditions"][-1]["type"] == "Running"


def test_counting_failed_succeeded_and_terminating_pods():
    phases = ["Failed", "Failed", "Succeeded", "Succeeded", "Succeeded", "Running", "Running"]
    pods = [a_pod("job-a", "Worker", i, phase=p) for i, p in enumerate(phases)]
    pods[-1] = replace(pods[-1], deleting=True)
    total = replicas.Counts()
    for pod in pods:
        total = total.add(pod)
    assert total.wire() == {"failed": 3, "succeeded": 3, "active": 1}


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param({"active": 2, "succeeded": 2}, {"succeeded": 4}, id="acceptance-22"),
        pytest.param({"active": 3, "succeeded": 1}, {"succeeded": 4}, id="three-and-one"),
        pytest.param({"active": 2}, {"succeeded": 2}, id="none-succeeded-yet"),
    ],
)
def test_succeeded_job_moves_active_into_succeeded_counts(counts, expected):
    status = {
        "conditions": [{"type": "Created", "status": "True"}, {"type": "Succeeded", "status": "True"}],
        "replicaStatuses": {"Worker": dict(counts)},
        "completionTime": "2024-05-01T09:00:00Z",
    }
    plan = cluster_with([], replicas={"Worker": 4}, status=status).reconcile(NOW)
    assert plan.status["replicaStatuses"] == {"Worker": expected}


def test_succeeded_job_moves_active_into_succeeded():
    status = {
        "conditions": [
            {"type": "Created", "status": "True"},
            {"type": "Succeeded", "status": "True"},
        ],
        "replicaStatuses": {"Worker": {"active": 2, "succeeded": 2}},
        "completionTime": "2024-05-01T09:00:00Z",
    }
    plan = cluster_with([], replicas={"Worker": 4}, status=status).reconcile(NOW)
    assert plan.status["replicaStatuses"] == {"Worker": {"succeeded": 4}}


@pytest.mark.parametrize(
    ("count", "existing", "created", "deleted"),
    [
        pytest.param(2, [0, 1, 2], [], ["job-a-worker-2"], id="scale-down"),
        pytest.param(3, [0], ["job-a-worker-1", "job-a-worker-2"], [], id="scale-up"),
        pytest.param(2, [0, 4], ["job-a-worker-1"], ["job-a-worker-4"], id="no-gap-fill-above-replicas-Q13"),
    ],
)
def test_scaling(count, existing, created, deleted):
    pods = [a_pod("job-a", "Worker", i) for i in existing]
    services = [s for s in services_of("job-a", {"Worker": 5}) if int(s.name.rsplit("-", 1)[1]) in existing]
    plan = cluster_with(pods, services, replicas={"Worker": count}).reconcile(NOW)
    assert sorted(c.name for c in creates_of(plan, "Pod")) == created
    assert sorted(d.name for d in plan.deletes if d.kind == "Pod") == deleted
    assert sorted(d.name for d in plan.deletes if d.kind == "Service") == deleted


@pytest.mark.parametrize(
    ("indexes", "count", "slots"),
    [
        pytest.param([0, 1, 2], 3, 3, id="equal"),
        pytest.param([0, 1, 2], 4, 4, id="more-replicas"),
        pytest.param([0, 1, 2], 2, 3, id="fewer-replicas"),
        pytest.param([0, 1, 2, 4], 3, 5, id="stray-high-index"),
    ],
)
def test_slice_size(indexes, count, slots):
    sliced = replicas.slice_by_index([a_pod("j", "Worker", i) for i in indexes], count)
    assert len(sliced.slots) == slots


def test_duplicates_are_left_alone_and_not_counted():
    pods = [a_pod("job-a", "Worker", 0), a_pod("job-a", "Worker", 0, name="job-a-worker-0-copy")]
    plan = cluster_with(pods, services_of("job-a", {"Worker": 1}), replicas={"Worker": 1}).reconcile(NOW)
    assert plan.creates == ()
    assert plan.deletes == ()
    assert plan.status["replicaStatuses"]["Worker"] == {}


@pytest.mark.parametrize("index", [pytest.param("-1", id="negative-Q5"), pytest.param("abc", id="garbage")])
def test_bad_index_pods_are_deleted_and_not_counted(index):
    bad = a_pod("job-a", "Worker", index, name="job-a-worker-bad")
    pods = [a_pod("job-a", "Worker", 0), bad]
    plan = cluster_with(pods, services_of("job-a", {"Worker": 1}), replicas={"Worker": 1}).reconcile(NOW)
    assert [d.name for d in plan.deletes] == ["job-a-worker-bad"]
    assert plan.status["replicaStatuses"]["Worker"] == {"active": 1}


def test_stale_replica_status_of_a_removed_type_is_kept():
    status = {
        "conditions": [{"type": "Created", "status": "True"}],
        "replicaStatuses": {"Old": {"active": 3}},
    }
    plan = cluster_with([], replicas={"Worker": 1}, status=status).reconcile(NOW)
    assert plan.status["replicaStatuses"]["Old"] == {"active": 3}


def test_scalable_kinds_get_sorted_selectors():
    cluster = FakeCluster(ScalableTestFramework(), a_job(replicas={"Worker": 1}))
    plan = cluster.reconcile(NOW)
    assert written_status(plan)["replicaStatuses"]["Worker"]["selector"] == (
        "training.kubeflow.org/job-name=job-a,training.kubeflow.org/operator-name=testjob-controller,"
        "training.kubeflow.org/replica-type=worker"
    )


def test_unchanged_status_is_not_written():
    cluster = FakeCluster(TestFramework(), a_job(replicas=SHAPE))
    cluster.reconcile_until_quiet(NOW)
    cluster.run_all()
    cluster.reconcile_until_quiet(NOW)
    assert cluster.reconcile(NOW).status is None


def test_a_settled_running_job_plans_nothing():
    plan = cluster_with(pods_of("job-a", SHAPE), services_of("job-a", SHAPE)).reconcile_until_quiet(NOW)[-1]
    assert plan.idle


def test_zero_replicas_create_nothing_and_remove_what_exists():
    pods = [a_pod("job-a", "Worker", 0)]
    plan = cluster_with(pods, services_of("job-a", {"Worker": 1}), replicas={"Worker": 0}).reconcile(NOW)
    assert plan.creates == ()
    assert sorted((d.kind, d.name) for d in plan.deletes) == [
        ("Pod", "job-a-worker-0"),
        ("Service", "job-a-worker-0"),
    ]


def test_a_duplicate_slot_does_not_stop_the_count_of_the_next():
    pods = [
        a_pod("job-a", "Worker", 0),
        a_pod("job-a", "Worker", 0, name="job-a-worker-0-copy"),
        a_pod("job-a", "Worker", 1),
    ]
    plan = cluster_with(pods, services_of("job-a", {"Worker": 2}), replicas={"Worker": 2}).reconcile(NOW)
    assert plan.status["replicaStatuses"]["Worker"] == {"active": 1}


def test_services_fill_only_gaps_below_replicas_and_leave_duplicates_alone():
    services = [
        a_service("job-a", "Worker", 0),
        a_service("job-a", "Worker", 3),
        replace(a_service("job-a", "Worker", 4), name="job-a-worker-4-copy"),
        a_service("job-a", "Worker", 4),
    ]
    plan = cluster_with([a_pod("job-a", "Worker", 0)], services, replicas={"Worker": 1}).reconcile(NOW)
    assert [c.name for c in plan.creates] == []
    assert [(d.kind, d.name) for d in plan.deletes] == [("Service", "job-a-worker-3")]


def test_a_service_with_a_bad_index_is_deleted():
    bad = replace(a_service("job-a", "Worker", 0), name="job-a-worker-bad")
    bad = replace(bad, labels={**bad.labels, "training.kubeflow.org/replica-index": "x"})
    plan = cluster_with(
        [a_pod("job-a", "Worker", 0)], [a_service("job-a", "Worker", 0), bad], replicas={"Worker": 1}
    ).reconcile(NOW)
    assert [(d.kind, d.name) for d in plan.deletes] == [("Service", "job-a-worker-bad")]


def test_a_running_pod_is_never_restarted():
    pods = pods_of("job-a", {"Worker": 2})
    plan = cluster_with(
        pods, services_of("job-a", {"Worker": 2}), replicas={"Worker": 2}, restart_policy="OnFailure"
    ).reconcile(NOW)
    assert plan.deletes == ()
    assert "Restarting" not in [c["type"] for c in plan.status["conditions"]]


def test_a_failed_pod_above_replicas_is_deleted_once():
    pods = [a_pod("job-a", "Worker", 0), a_pod("job-a", "Worker", 1, phase="Failed")]
    plan = cluster_with(pods, replicas={"Worker": 1}, restart_policy="OnFailure").reconcile(NOW)
    assert [(d.kind, d.name) for d in plan.deletes if d.kind == "Pod"] == [("Pod", "job-a-worker-1")]


def test_an_owned_pod_without_a_replica_type_is_neither_counted_nor_deleted():
    stray = replace(
        a_pod("job-a", "Worker", 0),
        labels={
            "training.kubeflow.org/job-name": "job-a",
            "training.kubeflow.org/operator-name": "testjob-controller",
        },
    )
    plan = cluster_with([stray], services_of("job-a", {"Worker": 1}), replicas={"Worker": 1}).reconcile(NOW)
    assert plan.deletes == ()
    assert plan.status["replicaStatuses"]["Worker"] == {}


def test_a_replica_type_without_a_spec_does_not_stop_the_others():
    cluster = cluster_with([], replicas={"Worker": 1})
    specs = cluster.job["spec"]["testReplicaSpecs"]
    cluster.job["spec"]["testReplicaSpecs"] = {"Evaluator": None, **specs}  # visited first
    plan = cluster.reconcile(NOW)
    assert [c.name for c in creates_of(plan, "Pod")] == ["job-a-worker-0"]
