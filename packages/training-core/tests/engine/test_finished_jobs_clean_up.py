"""cleanPodPolicy on finished jobs (common.md §11.1; acceptance 37).

Covers: All and the undefined "" delete every pod and its same-named service; Running deletes Running and
Pending pods only; None deletes nothing; services whose pod is gone stay; a finished job is never moved back
to Running and never gets new pods.
"""

from datetime import UTC, datetime

import pytest

from training_operator.core.engine.observed import Snapshot
from training_operator.core.testing import FakeCluster, TestFramework, a_job, a_pod, pods_of, services_of

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
SHAPE = {"Worker": 4, "PS": 2}
STATUS = {
    "conditions": [{"type": "Created", "status": "True"}, {"type": "Succeeded", "status": "True"}],
    "completionTime": "2024-05-01T09:00:00Z",
}


@pytest.mark.parametrize(
    ("policy", "phase", "remaining"),
    [
        pytest.param("All", "Running", 0, id="all"),
        pytest.param("", "Running", 0, id="undefined-behaves-like-all"),
        pytest.param("Running", "Running", 0, id="running-running"),
        pytest.param("Running", "Pending", 0, id="running-pending"),
        pytest.param("Running", "Succeeded", 6, id="running-succeeded"),
        pytest.param("None", "Running", 6, id="none"),
        pytest.param(None, "Running", 6, id="default-is-none"),
    ],
)
def test_clean_pod_policy_on_success(policy, phase, remaining):
    run_policy = {} if policy is None else {"cleanPodPolicy": policy}
    snapshot = Snapshot(
        pods=tuple(pods_of("job-a", SHAPE, phase=phase)), services=tuple(services_of("job-a", SHAPE))
    )
    cluster = FakeCluster(
        TestFramework(), a_job(replicas=SHAPE, run_policy=run_policy, status=STATUS), snapshot=snapshot
    )
    cluster.reconcile_until_quiet(NOW)
    assert len(cluster.snapshot.pods) == remaining
    assert len(cluster.snapshot.services) == remaining
    assert cluster.snapshot.objects == ()


def test_service_without_a_pod_is_not_cleaned():
    snapshot = Snapshot(
        pods=(a_pod("job-a", "Worker", 0),), services=tuple(services_of("job-a", {"Worker": 2}))
    )
    job = a_job(replicas={"Worker": 2}, run_policy={"cleanPodPolicy": "All"}, status=STATUS)
    plan = FakeCluster(TestFramework(), job, snapshot=snapshot).reconcile(NOW)
    assert sorted((d.kind, d.name) for d in plan.deletes) == [
        ("Pod", "job-a-worker-0"),
        ("Service", "job-a-worker-0"),
    ]


def test_finished_job_gets_no_new_pods_and_stays_finished():
    cluster = FakeCluster(TestFramework(), a_job(replicas=SHAPE, status=STATUS))
    plan = cluster.reconcile(NOW)
    assert plan.creates == ()
    assert [c["type"] for c in cluster.status["conditions"]] == ["Created", "Succeeded"]
