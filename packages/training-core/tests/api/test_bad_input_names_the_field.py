"""Bad job input is rejected with Kubernetes-style messages that name the wire path and what is allowed.

Covers: wrong types, negative counts, unknown enum values, missing replica map, null replica entries, empty
containers, missing images, missing default container, duplicate replica types differing in case, invalid and
too-long names (common.md §3.2 V1, V4–V7; §21 cases 5, 9), derived child names over 63 characters, and
managedBy (V2, V3; §21 cases 6, 7).
"""

import pytest

from training_operator.core.errors import InvalidJob
from training_operator.core.testing.demo_kind import DemoFramework, a_body

framework = DemoFramework()
CONTAINERS = "spec.demoReplicaSpecs[Worker].template.spec.containers"


def rejection(body, old=None):
    try:
        job = framework.parse(body)
    except InvalidJob as error:
        return str(error)
    old_job = None if old is None else framework.parse(old)
    return "; ".join(p.render() for p in framework.problems(job, old=old_job))


def with_worker(**fields):
    worker = {"template": {"spec": {"containers": [{"name": "demo", "image": "img"}]}}}
    worker.update(fields)
    return a_body(Worker=worker)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            with_worker(replicas=-1),
            "spec.demoReplicaSpecs[Worker].replicas: Invalid value: -1",
            id="negative",
        ),
        pytest.param(
            with_worker(replicas="two"), "spec.demoReplicaSpecs[Worker].replicas: Invalid value", id="type"
        ),
        pytest.param(
            with_worker(restartPolicy="Sometimes"),
            'spec.demoReplicaSpecs[Worker].restartPolicy: Unsupported value: "Sometimes": supported values: '
            '"Always", "OnFailure", "Never", "ExitCode"',
            id="enum",
        ),
        pytest.param(
            {**a_body(), "spec": {}}, "spec.demoReplicaSpecs: Required value: must be required", id="no-map"
        ),
        pytest.param(
            a_body(Worker=None),
            "spec.demoReplicaSpecs[Worker]: Required value: must be specified",
            id="null-entry",
        ),
        pytest.param(
            a_body(Worker={"template": {"spec": {"containers": []}}}),
            f"{CONTAINERS}: Required value: must be specified; "
            f"{CONTAINERS}: Required value: must have at least one container with name demo",
            id="no-containers",
        ),
        pytest.param(
            a_body(Worker={"template": {"spec": {"containers": [{"name": "demo"}]}}}),
            f"{CONTAINERS}[0].image: Required value: must be required",
            id="no-image",
        ),
        pytest.param(
            {
                **a_body(),
                "spec": {
                    "demoReplicaSpecs": {
                        "Worker": with_worker()["spec"]["demoReplicaSpecs"]["Worker"],
                        "worker": with_worker()["spec"]["demoReplicaSpecs"]["Worker"],
                    }
                },
            },
            'spec.demoReplicaSpecs[worker]: Duplicate value: "worker"',
            id="case-duplicate",
        ),
    ],
)
def test_rejections_name_the_field(body, expected):
    assert expected in rejection(body)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param(
            "00test", 'metadata.name: Invalid value: "00test": should match: a DNS-1035 label', id="pattern"
        ),
        pytest.param("a" * 64, "should match: must be no more than 63 characters", id="length"),
        pytest.param("a" * 55, "shorten the job name to at most 54 characters", id="derived-service-name"),
    ],
)
def test_job_names(name, expected):
    body = a_body()
    body["metadata"]["name"] = name
    assert expected in rejection(body)


def test_valid_job_has_no_problems():
    assert rejection(a_body()) == ""


def test_managed_by_must_be_known_and_immutable():
    body = a_body()
    body["spec"]["runPolicy"] = {"managedBy": "other-job-controller"}
    assert (
        'spec.runPolicy.managedBy: Unsupported value: "other-job-controller": supported values: '
        in rejection(body)
    )
    body["spec"]["runPolicy"] = {"managedBy": "kueue.x-k8s.io/multikueue"}
    assert rejection(body, old=a_body()) == (
        'spec.runPolicy.managedBy: Invalid value: "kueue.x-k8s.io/multikueue": field is immutable'
    )
    body["spec"]["runPolicy"] = {"managedBy": "kubeflow.org/training-operator"}
    assert rejection(body) == ""
