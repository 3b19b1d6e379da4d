"""The common in-memory defaults (common.md §2.2; §21 cases 1–3).

Covers: replicas and restartPolicy filled, cleanPodPolicy None, an explicit "" kept, the default port
appended to the default container (or container 0), a custom port kept alongside, an existing default port
left alone, and case normalisation of replica-type keys.
"""

import pytest

from training_operator.core.testing.demo_kind import DemoFramework, a_body

framework = DemoFramework()


def defaulted(body):
    return framework.default(framework.parse(body))


def test_fills_replicas_restart_policy_and_clean_pod_policy():
    job = defaulted(a_body())
    worker = job.replica_specs()["Worker"]
    assert (worker.replicas, worker.restart_policy) == (1, "Never")
    assert job.run_policy.clean_pod_policy == "None"


def test_explicit_empty_clean_pod_policy_is_kept():
    body = a_body()
    body["spec"]["runPolicy"] = {"cleanPodPolicy": ""}
    assert defaulted(body).run_policy.clean_pod_policy == ""


@pytest.mark.parametrize(
    ("containers", "expected_ports"),
    [
        pytest.param([{"name": "demo", "image": "i"}], {0: [("demojob-port", 1234)]}, id="added"),
        pytest.param(
            [{"name": "demo", "image": "i", "ports": [{"name": "customPort", "containerPort": 1234}]}],
            {0: [("customPort", 1234), ("demojob-port", 1234)]},
            id="custom-kept",
        ),
        pytest.param(
            [{"name": "demo", "image": "i", "ports": [{"name": "demojob-port", "containerPort": 9}]}],
            {0: [("demojob-port", 9)]},
            id="existing-unchanged",
        ),
        pytest.param(
            [{"name": "side", "image": "i"}, {"name": "demo", "image": "i"}],
            {0: [], 1: [("demojob-port", 1234)]},
            id="default-container-not-first",
        ),
        pytest.param(
            [{"name": "other", "image": "i"}], {0: [("demojob-port", 1234)]}, id="falls-back-to-first"
        ),
    ],
)
def test_default_port(containers, expected_ports):
    job = defaulted(a_body(Worker={"template": {"spec": {"containers": containers}}}))
    got = job.replica_specs()["Worker"].template["spec"]["containers"]
    for index, ports in expected_ports.items():
        assert [(p["name"], p["containerPort"]) for p in got[index].get("ports", [])] == ports


@pytest.mark.parametrize("key", ["WORKER", "worker", "wOrKeR"])
def test_replica_type_keys_are_normalised(key):
    worker = a_body()["spec"]["demoReplicaSpecs"]["Worker"]
    assert list(defaulted(a_body(**{key: worker})).replica_specs()) == ["Worker"]
