"""MXJob admission (frameworks.md §3.4, acceptance MX-6).

Covers: upstream's controller-side checks answered at admission with upstream's texts (`MXJobSpec is not
valid`, `MXJob name is invalid: [...]`) at the field each is about; what upstream does not check (replica
types, counts, jobMode) is admitted; lower-case training keys are normalised, Tuner* keys kept as written;
the rules every kind shares here (managedBy, case duplicates) still apply.
"""

from typing import Any

import pytest

from training_operator.core.api.problems import aggregate
from training_operator.core.errors import InvalidJob
from training_operator.mxnet.plugin import FRAMEWORK

MX = {"spec": {"containers": [{"name": "mxnet", "image": "mx:1"}]}}
SPEC = "MXJobSpec is not valid"
PATTERN = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic "
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for "
    "validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)


def mxjob(specs: Any, name: str = "job", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "MXJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"jobMode": "MXTrain", "mxReplicaSpecs": specs, **spec},
    }


def problems_of(body: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    previous = None if old is None else FRAMEWORK.parse(old)
    return [p.render() for p in FRAMEWORK.problems(FRAMEWORK.parse(body), old=previous)]


REJECTED = [
    pytest.param(
        mxjob({"Worker": {"template": {"spec": {"containers": [{"name": "mxnet", "image": ""}]}}}}),
        [f"spec.mxReplicaSpecs[Worker].template.spec.containers[0].image: Required value: {SPEC}"],
        id="MX-6-empty-image",
    ),
    pytest.param(
        mxjob({"Worker": {"template": MX}}, name="1job"),
        [f'metadata.name: Invalid value: "1job": MXJob name is invalid: [{PATTERN}]'],
        id="MX-6-name-not-dns-1035",
    ),
    pytest.param(
        mxjob(None),
        [f"spec.mxReplicaSpecs: Required value: {SPEC}"],
        id="null-replica-map",
    ),
    pytest.param(
        mxjob({"Worker": None}),
        [f"spec.mxReplicaSpecs[Worker]: Required value: {SPEC}"],
        id="null-replica",
    ),
    pytest.param(
        mxjob({"Worker": {"template": {"spec": {"containers": []}}}}),
        [f"spec.mxReplicaSpecs[Worker].template.spec.containers: Required value: {SPEC}"],
        id="no-containers",
    ),
    pytest.param(
        mxjob({"Server": {"template": {"spec": {"containers": [{"name": "main", "image": "x"}]}}}}),
        [f"spec.mxReplicaSpecs[Server].template.spec.containers: Required value: {SPEC}"],
        id="no-mxnet-container",
    ),
    pytest.param(
        mxjob({"Worker": {"template": MX}}, runPolicy={"managedBy": "foo"}),
        [
            'spec.runPolicy.managedBy: Unsupported value: "foo": supported values: '
            '"kubeflow.org/training-operator", "kueue.x-k8s.io/multikueue"'
        ],
        id="managed-by-unknown",
    ),
    pytest.param(
        mxjob({"Worker": {"template": MX}, "worker": {"template": MX}}),
        [
            "spec.mxReplicaSpecs[worker]: Duplicate value: \"worker\": replica type 'worker' differs from "
            "'Worker' only in case; keep one of them"
        ],
        id="case-duplicate-keys",
    ),
]


@pytest.mark.parametrize(("body", "expected"), REJECTED)
def test_rejected_with_upstream_text(body, expected):
    assert problems_of(body) == expected


ADMITTED = [
    pytest.param(mxjob({"Foo": {"template": MX}}), id="unknown-replica-type"),
    pytest.param(mxjob({"Scheduler": {"replicas": 3, "template": MX}}), id="several-schedulers"),
    pytest.param(mxjob({"Worker": {"template": MX}}, jobMode="Anything"), id="unknown-job-mode"),
    pytest.param(mxjob({"scheduler": {"template": MX}, "tuner": {"template": MX}}), id="lower-case-keys"),
    pytest.param(mxjob({}), id="empty-replica-map"),
]


@pytest.mark.parametrize("body", ADMITTED)
def test_admitted(body):
    assert problems_of(body) == []


def test_managed_by_is_immutable():
    old = mxjob({"Worker": {"template": MX}})
    new = mxjob({"Worker": {"template": MX}}, runPolicy={"managedBy": "kueue.x-k8s.io/multikueue"})
    assert problems_of(new, old) == [
        'spec.runPolicy.managedBy: Invalid value: "kueue.x-k8s.io/multikueue": field is immutable'
    ]


def test_job_mode_is_required_like_the_crd():
    body = mxjob({"Worker": {"template": MX}})
    del body["spec"]["jobMode"]
    with pytest.raises(InvalidJob) as raised:
        FRAMEWORK.parse(body)
    assert str(raised.value) == "spec.jobMode: Required value: must be required"


def test_several_problems_are_reported_together():
    body = mxjob({"Worker": {"template": {"spec": {"containers": [{"name": "main"}]}}}}, name="1job")
    message = aggregate(FRAMEWORK.problems(FRAMEWORK.parse(body)))
    assert message.startswith('[metadata.name: Invalid value: "1job": MXJob name is invalid: [')
    assert message.count(SPEC) == 2


def test_lower_case_training_keys_are_normalised_tuner_keys_kept():
    job = FRAMEWORK.default(
        FRAMEWORK.parse(mxjob({"scheduler": {"template": MX}, "tuner": {"template": MX}}))
    )
    assert sorted(job.replica_specs()) == ["Scheduler", "tuner"]
