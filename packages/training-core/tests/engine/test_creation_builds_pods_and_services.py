"""Creating a job's children (common.md §6.4, §7.3; acceptance 12–15, 32, 51).

Covers: one reconcile creates every pod and headless service with upstream's names, labels, master role and
single owner reference; template metadata that is copied and what is dropped; the restart-policy mapping and
its warning; the Created condition opening the first status; the framework hook's ReconcileError becoming
Plan.error with nothing else done.
"""

from datetime import UTC, datetime
from typing import Any

import pytest

from training_operator.core import labels
from training_operator.core.engine import naming
from training_operator.core.engine.plan import Plan
from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import (
    FakeCluster,
    TestFramework,
    a_job,
    a_template,
    creates_of,
    written_status,
)

NOW = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def plan_once(
    job: dict[str, Any], framework: TestFramework | None = None, **kw: Any
) -> tuple[Plan, FakeCluster]:
    cluster = FakeCluster(framework or TestFramework(), job, **kw)
    return cluster.reconcile(NOW), cluster


def test_normal_creation_makes_six_pods_and_services_with_upstream_labels():
    plan, _ = plan_once(a_job(replicas={"Worker": 4, "PS": 2}))
    pods = {c.name: c.body for c in creates_of(plan, "Pod")}
    services = {c.name: c.body for c in creates_of(plan, "Service")}
    expected = {f"job-a-worker-{i}" for i in range(4)} | {f"job-a-ps-{i}" for i in range(2)}
    assert set(pods) == expected
    assert set(services) == expected
    for name, body in pods.items():
        rt, index = name.split("-")[2:]
        assert body["metadata"]["labels"][labels.JOB_NAME] == "job-a"
        assert body["metadata"]["labels"][labels.OPERATOR_NAME] == "testjob-controller"
        assert body["metadata"]["labels"][labels.REPLICA_TYPE] == rt
        assert body["metadata"]["labels"][labels.REPLICA_INDEX] == index
        assert body["metadata"]["namespace"] == "default"
    masters = [n for n, b in pods.items() if b["metadata"]["labels"].get(labels.JOB_ROLE) == "master"]
    assert masters == ["job-a-worker-0"]
    for body in [*pods.values(), *services.values()]:
        assert body["metadata"]["ownerReferences"] == [
            {
                "apiVersion": "kubeflow.org/v1",
                "kind": "TestJob",
                "name": "job-a",
                "uid": "uid-job-a",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]


def test_template_metadata_is_copied_and_the_rest_dropped():
    template = a_template()
    template["metadata"] = {
        "labels": {"label1": "1", labels.REPLICA_INDEX: "99"},
        "annotations": {"annotation1": "1"},
        "finalizers": ["f"],
        "generateName": "x-",
        "ownerReferences": [{"uid": "other"}],
        "namespace": "elsewhere",
    }
    plan, _ = plan_once(a_job(templates={"Worker": template}))
    meta = creates_of(plan, "Pod")[0].body["metadata"]
    assert meta["labels"]["label1"] == "1"
    assert meta["labels"][labels.REPLICA_INDEX] == "0"  # operator labels win
    assert meta["annotations"] == {"annotation1": "1"}
    assert meta["finalizers"] == ["f"]
    assert "generateName" not in meta
    assert meta["namespace"] == "default"
    assert len(meta["ownerReferences"]) == 1


def test_service_is_headless_with_default_container_ports_and_no_job_role():
    plan, _ = plan_once(a_job())
    service = creates_of(plan, "Service")[0].body
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["ports"] == [{"name": "testjob-port", "port": 2222}]
    selector = naming.replica_labels("job-a", "testjob-controller", "Worker", 0)
    assert service["spec"]["selector"] == selector
    assert service["metadata"]["labels"] == selector
    assert labels.JOB_ROLE not in service["metadata"]["labels"]


def test_first_status_starts_with_created():
    plan, _ = plan_once(a_job())
    first = written_status(plan)["conditions"][0]
    assert (first["type"], first["status"], first["reason"]) == ("Created", "True", "TestJobCreated")
    assert first["message"] == "TestJob job-a is created."
    assert first["lastTransitionTime"] == "2024-05-01T10:00:00Z"


@pytest.mark.parametrize(
    ("replica_policy", "pod_policy"),
    [
        pytest.param("ExitCode", "Never", id="exit-code-becomes-never"),
        pytest.param("Never", "Never", id="never"),
        pytest.param("Always", "Always", id="always"),
        pytest.param("OnFailure", "OnFailure", id="on-failure"),
        pytest.param(None, "Never", id="kind-default"),
    ],
)
@pytest.mark.parametrize(
    "template_sets_policy", [pytest.param(False, id="plain"), pytest.param(True, id="set")]
)
def test_restart_policy_mapping(replica_policy, pod_policy, template_sets_policy):
    template = a_template(restartPolicy="Always") if template_sets_policy else a_template()
    plan, _ = plan_once(a_job(restart_policy=replica_policy, templates={"Worker": template}))
    assert creates_of(plan, "Pod")[0].body["spec"]["restartPolicy"] == pod_policy
    warned = [e for e in plan.events if e.reason == "SetPodTemplateRestartPolicy"]
    assert [e.type for e in warned] == (["Warning"] if template_sets_policy else [])


def test_name_generation_replaces_slashes_and_lowers_the_type():
    assert naming.child_name("1/2/3/4/5", "WORKER", 1) == "1-2-3-4-5-worker-1"


def test_reconcile_error_from_the_pod_hook_is_the_whole_answer():
    def broken(job, replica, pod):
        raise ReconcileError("no port named tfjob-port")

    plan, _ = plan_once(a_job(replicas={"Worker": 2}), TestFramework(pod_hook=broken))
    assert plan.error == "no port named tfjob-port"
    assert plan.idle
    assert plan.events == ()


def test_pod_hook_sees_the_pod_and_its_additions_are_kept():
    def add_env(job, replica, pod):
        pod["spec"]["containers"][0]["env"] = [{"name": "INDEX", "value": str(replica.index)}]
        return pod

    plan, _ = plan_once(a_job(replicas={"Worker": 2}), TestFramework(pod_hook=add_env))
    envs = [c.body["spec"]["containers"][0]["env"] for c in creates_of(plan, "Pod")]
    assert envs == [[{"name": "INDEX", "value": "0"}], [{"name": "INDEX", "value": "1"}]]


def test_missing_default_container_fails_service_creation():
    template = {"spec": {"containers": [{"name": "sidecar", "image": "img"}]}}
    plan, _ = plan_once(a_job(templates={"Worker": template}), options=EngineOptions())
    assert plan.error == "failed to find the port"
    assert plan.idle
