"""Invalid MPIJobs: one ValidationError event with upstream's text, and nothing else.

Covers mpi.md AC-8 (bad and too-long names), AC-9 (four replica errors, in order, wrapped in brackets),
AC-10 (a Worker entry without replicas), the 1024-character cut, the webhook's use of the same rules, and
checks 12–17 with their texts and order (reachable only past the schema and defaulting, as upstream notes).
"""

import pytest

from training_operator.core.api.common import CleanPodPolicy
from training_operator.core.api.problems import aggregate
from training_operator.core.errors import InvalidJob
from training_operator.mpi import validation
from training_operator.mpi.api import WORKER
from training_operator.mpi.defaults import defaulted
from training_operator.mpi.plugin import FRAMEWORK
from training_operator.mpi.testing import a_job, sync

DNS = "a DNS-1035 label must consist of lower case alphanumeric characters"


@pytest.mark.parametrize(
    ("job", "starts", "contains"),
    [
        pytest.param(
            a_job(name="1-foo", workers=None),
            'Found validation errors: metadata.name: Invalid value: "1-foo": will not able to create pod and '
            'service with invalid DNS label "1-foo-worker-0": ',
            DNS,
            id="AC-8-name",
        ),
        pytest.param(
            a_job(name="a" * 55, workers=1),
            "Found validation errors: metadata.name: Invalid value: ",
            "must be no more than 63 characters",
            id="AC-8-55-characters",
        ),
        pytest.param(
            a_job(worker={"template": {"spec": {"containers": [{"name": "w"}]}}}, workers=None),
            "Found validation errors: ",
            "spec.mpiReplicaSpecs[Worker].replicas: Invalid value: 0: must be greater than or equal to 1",
            id="AC-10-worker-without-replicas",
        ),
    ],
)
def test_invalid_job_only_warns(job, starts, contains):
    plan = sync(job)
    [event] = plan.events
    assert (event.type, event.reason) == ("Warning", "ValidationError")
    assert event.message.startswith(starts)
    assert contains in event.message
    assert plan.idle
    assert plan.error is None
    assert plan.requeue_after is None


def test_ac9_four_replica_errors_in_order():
    containers = {"spec": {"containers": [{"name": "x"}]}}
    job = a_job(
        launcher={"replicas": 2, "restartPolicy": "Always", "template": containers},
        worker={"replicas": 0, "restartPolicy": "Invalid", "template": containers},
        workers=None,
    )
    [event] = sync(job).events
    assert event.message == (
        "Found validation errors: ["
        'spec.mpiReplicaSpecs[Launcher].restartPolicy: Unsupported value: "Always": supported values: '
        '"Never", "OnFailure", '
        "spec.mpiReplicaSpecs[Launcher].replicas: Invalid value: 2: must be 1, "
        'spec.mpiReplicaSpecs[Worker].restartPolicy: Unsupported value: "Invalid": supported values: '
        '"Never", "OnFailure", '
        "spec.mpiReplicaSpecs[Worker].replicas: Invalid value: 0: must be greater than or equal to 1]"
    )


def test_long_message_is_cut_to_1024_characters():
    long_path = "/x" * 40
    bad = [{"name": "l"}]
    job = a_job(
        name="b" * 70,
        mpiImplementation="Nope" + "p" * 1000,
        sshAuthMountPath=long_path,
        launcher={"replicas": 3, "template": {"spec": {"containers": bad}}},
    )
    [event] = sync(job).events
    assert len(event.message) == 1024
    assert event.message.endswith("...")


def test_webhook_uses_the_same_rules_after_defaulting():
    assert FRAMEWORK.problems(a_job()) == []
    [problem] = FRAMEWORK.problems(a_job(mpiImplementation="Foo"))
    assert problem.render() == (
        'spec.mpiImplementation: Unsupported value: "Foo": supported values: "Intel", "MPICH", "OpenMPI"'
    )


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        pytest.param(
            {"slots_per_worker": None},
            "spec.slotsPerWorker: Required value: must have number of slots per worker",
            id="12-absent",
        ),
        pytest.param(
            {"slots_per_worker": -1},
            "spec.slotsPerWorker: Invalid value: -1: must be greater than or equal to 0",
            id="12-negative",
        ),
        pytest.param(
            {"run_policy": {"clean_pod_policy": None}},
            "spec.runPolicy.cleanPodPolicy: Required value: must have clean Pod policy",
            id="13-absent",
        ),
        pytest.param(
            {"run_policy": {"clean_pod_policy": CleanPodPolicy("")}},
            'spec.runPolicy.cleanPodPolicy: Unsupported value: "": '
            'supported values: "All", "None", "Running"',
            id="13-unknown",
        ),
        pytest.param(
            {"run_policy": {"ttl_seconds_after_finished": -1}},
            "spec.runPolicy.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0",
            id="14-ttl",
        ),
        pytest.param(
            {"run_policy": {"active_deadline_seconds": -2}},
            "spec.runPolicy.activeDeadlineSeconds: Invalid value: -2: must be greater than or equal to 0",
            id="14-deadline",
        ),
        pytest.param(
            {"run_policy": {"backoff_limit": -3}},
            "spec.runPolicy.backoffLimit: Invalid value: -3: must be greater than or equal to 0",
            id="14-backoff",
        ),
        pytest.param(
            {"run_policy": {"managed_by": "example.com/other"}},
            'spec.runPolicy.managedBy: Unsupported value: "example.com/other": supported values: '
            '"kubeflow.org/mpi-operator", "kueue.x-k8s.io/multikueue"',
            id="15-managed-by",
        ),
        pytest.param(
            {"ssh_auth_mount_path": ""},
            "spec.sshAuthMountPath: Required value: must have a mount path for SSH credentials",
            id="16-ssh-path",
        ),
        pytest.param(
            {"mpi_implementation": "Foo"},
            'spec.mpiImplementation: Unsupported value: "Foo": supported values: "Intel", "MPICH", "OpenMPI"',
            id="17-implementation",
        ),
    ],
)
def test_checks_12_to_17(changes, text):
    base = defaulted(a_job())
    spec_changes = {k: v for k, v in changes.items() if k != "run_policy"}
    policy = base.spec.run_policy.model_copy(update=changes.get("run_policy", {}))
    raw = base.model_copy(
        update={"spec": base.spec.model_copy(update={**spec_changes, "run_policy": policy})}
    )
    found = validation.problems(raw)
    assert [str_of(p) for p in found] == [text]


def test_checks_12_to_17_come_in_upstream_order():
    base = defaulted(a_job())
    policy = base.spec.run_policy.model_copy(
        update={"clean_pod_policy": None, "backoff_limit": -1, "managed_by": "x"}
    )
    spec = base.spec.model_copy(
        update={
            "slots_per_worker": None,
            "ssh_auth_mount_path": "",
            "mpi_implementation": "Foo",
            "run_policy": policy,
        }
    )
    paths = [p.path for p in validation.problems(base.model_copy(update={"spec": spec}))]
    assert paths == [
        "spec.slotsPerWorker",
        "spec.runPolicy.cleanPodPolicy",
        "spec.runPolicy.backoffLimit",
        "spec.runPolicy.managedBy",
        "spec.sshAuthMountPath",
        "spec.mpiImplementation",
    ]


def test_defaulting_makes_checks_12_13_16_and_17_unreachable_from_a_user():
    # mpi.md §4 reachability: a job leaving all of them unset is valid once defaulted
    plan = sync(a_job())
    assert [e.reason for e in plan.events if e.reason == "ValidationError"] == []


def str_of(problem):
    return aggregate([problem])


def test_counts_past_the_bounds_are_refused_and_never_planned():
    # ours (core.api.limits): parse refuses them; a job that skipped parsing still gets no child
    with pytest.raises(
        InvalidJob, match=r"spec\.mpiReplicaSpecs\[Worker\]\.replicas: Invalid value: 2147483648"
    ):
        a_job(workers=2**31)
    with pytest.raises(InvalidJob, match=r"spec\.slotsPerWorker: Invalid value: 2048: must be less than or"):
        a_job(slotsPerWorker=2048)
    job = a_job(workers=2)
    worker = job.replica(WORKER)
    assert worker is not None
    specs = {**(job.spec.mpi_replica_specs or {}), WORKER: worker.model_copy(update={"replicas": 2**31})}
    huge = job.model_copy(update={"spec": job.spec.model_copy(update={"mpi_replica_specs": specs})})

    plan = sync(huge)

    assert plan.idle
    [event] = plan.events
    assert (
        "spec.mpiReplicaSpecs[Worker].replicas: Invalid value: 2147483648: must be less than" in event.message
    )


def test_whole_job_restart_is_accepted_and_its_bounds_still_refused():
    # ours: MPIJob restarts its launcher and workers together (whole_job_restart); only the bounds are rules
    job = a_job(runPolicy={"cleanPodPolicy": "None", "wholeJobRestart": {"maxRestarts": 2}})
    assert FRAMEWORK.problems(job) == []
    with pytest.raises(InvalidJob, match=r"spec\.runPolicy\.wholeJobRestart\.maxRestarts"):
        a_job(runPolicy={"wholeJobRestart": {"maxRestarts": 101}})
