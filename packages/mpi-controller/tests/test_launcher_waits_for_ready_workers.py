"""launcherCreationPolicy (mpi.md §9): AtStartup creates the launcher at once; any other value waits until
every worker is Ready — covers AC-11 and its `Foo` variant, and that Running phase alone is not enough.
"""

import pytest

from training_operator.mpi.testing import a_job, a_pod, existing, merged, status_of, sync, with_status


@pytest.mark.parametrize(
    "policy", [pytest.param("WaitForWorkersReady", id="wait"), pytest.param("Foo", id="Foo")]
)
def test_ac11_launcher_waits_for_ready_workers(policy):
    job = a_job(launcherCreationPolicy=policy)
    first = sync(job)
    assert [c.kind for c in first.creates] == ["Service", "ConfigMap", "Secret", "Pod", "Pod"]
    assert status_of(first)["replicaStatuses"] == {"Worker": {}}
    assert status_of(first)["conditions"][0]["type"] == "Created"
    job = with_status(job, first)
    children = existing(first)

    def pods(ready0, ready1):
        return [a_pod("pi-worker-0", index=0, ready=ready0), a_pod("pi-worker-1", index=1, ready=ready1)]

    running = sync(job, merged(children, pods=pods(False, False)))
    assert not [c for c in running.creates if c.kind == "Job"]
    assert status_of(running)["replicaStatuses"]["Worker"] == {"active": 2}
    assert all(c["type"] != "Running" for c in status_of(running)["conditions"])
    job = with_status(job, running)
    half = sync(job, merged(children, pods=pods(True, False)))
    assert not [c for c in half.creates if c.kind == "Job"]
    ready = sync(job, merged(children, pods=pods(True, True)))
    [launcher] = [c for c in ready.creates if c.kind == "Job"]
    assert launcher.name == "pi-launcher"
    assert status_of(ready)["replicaStatuses"]["Launcher"] == {}


def test_at_startup_does_not_wait():
    plan = sync(a_job(launcherCreationPolicy="AtStartup"))
    assert [c.kind for c in plan.creates][-1] == "Job"
