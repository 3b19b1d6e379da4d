"""MPIJob validation (mpi.md §4): upstream's 17 checks, in upstream's order, with its exact texts.

Upstream validates in the controller after defaulting (it has no webhook) and reports the aggregate as one
`ValidationError` event; the same problems serve our webhook and SDK, so a user reads the same message
wherever the rule fires.
"""

from __future__ import annotations

from collections.abc import Sequence

from training_operator.core.api import limits
from training_operator.core.api.common import CleanPodPolicy, RestartPolicy
from training_operator.core.api.problems import FieldProblem, ProblemKind, aggregate, dns1035_label_problems
from training_operator.core.engine.replicated import container_shape_problems
from training_operator.mpi.api import (
    LAUNCHER,
    MANAGED_BY_MPI_OPERATOR,
    MANAGED_BY_MULTIKUEUE,
    WORKER,
    MPIImplementation,
    MPIJob,
    MPIReplicaSpec,
)

EVENT_MESSAGE_LIMIT = 1024
_RESTART_POLICIES = (RestartPolicy.NEVER.value, RestartPolicy.ON_FAILURE.value)
_CLEAN_POD_POLICIES = (CleanPodPolicy.ALL.value, CleanPodPolicy.NONE.value, CleanPodPolicy.RUNNING.value)
_IMPLEMENTATIONS = tuple(sorted(i.value for i in MPIImplementation))
_GE_ZERO = "must be greater than or equal to 0"


def problems(job: MPIJob) -> list[FieldProblem]:
    """Every broken rule of a defaulted job, in upstream's order (the order users see in the message)."""
    found = _name_problems(job)
    found += _replica_problems(job)
    found += _spec_problems(job)
    return found


def event_message(found: Sequence[FieldProblem]) -> str:
    """`Found validation errors: …`, cut to 1024 characters as upstream cuts event messages."""
    return truncated("Found validation errors: " + aggregate(found))


def truncated(message: str) -> str:
    """Upstream's event-message limit: 1021 characters and `...` when longer than 1024."""
    if len(message) <= EVENT_MESSAGE_LIMIT:
        return message
    return message[: EVENT_MESSAGE_LIMIT - 3] + "..."


def _name_problems(job: MPIJob) -> list[FieldProblem]:
    # The longest pod name, `<name>-worker-<R-1>`, must be a DNS-1035 label (check #1).
    worker = job.replica(WORKER)
    count = worker.replicas if worker is not None and worker.replicas and worker.replicas > 0 else 1
    host = f"{job.name}-worker-{count - 1}"
    messages = dns1035_label_problems(host)
    if not messages:
        return []
    detail = f'will not able to create pod and service with invalid DNS label "{host}": ' + ", ".join(
        messages
    )
    return [FieldProblem("metadata.name", ProblemKind.INVALID, detail, job.name)]


def _replica_problems(job: MPIJob) -> list[FieldProblem]:
    specs = job.spec.mpi_replica_specs
    if specs is None:
        return [FieldProblem("spec.mpiReplicaSpecs", ProblemKind.REQUIRED, "must have replica specs")]
    found: list[FieldProblem] = []
    launcher = specs.get(LAUNCHER)
    path = f"spec.mpiReplicaSpecs[{LAUNCHER}]"
    if launcher is None:
        found.append(FieldProblem(path, ProblemKind.REQUIRED, "must have Launcher replica spec"))
    else:
        found += _one_replica_problems(launcher, path)
        if launcher.replicas is not None and launcher.replicas != 1:
            found.append(
                FieldProblem(f"{path}.replicas", ProblemKind.INVALID, "must be 1", launcher.replicas)
            )
    worker = specs.get(WORKER)
    path = f"spec.mpiReplicaSpecs[{WORKER}]"
    if worker is not None:
        found += _one_replica_problems(worker, path)
        if worker.replicas is not None and worker.replicas <= 0:
            detail = "must be greater than or equal to 1"
            found.append(FieldProblem(f"{path}.replicas", ProblemKind.INVALID, detail, worker.replicas))
    return found + limits.replica_problems(specs, "mpiReplicaSpecs")  # ours: upstream bounds nothing


def _one_replica_problems(spec: MPIReplicaSpec, path: str) -> list[FieldProblem]:
    found = []
    if spec.replicas is None:
        found.append(FieldProblem(f"{path}.replicas", ProblemKind.REQUIRED, "must define number of replicas"))
    if spec.restart_policy not in _RESTART_POLICIES:
        found.append(
            FieldProblem(
                f"{path}.restartPolicy",
                ProblemKind.UNSUPPORTED,
                value=spec.restart_policy,
                allowed=_RESTART_POLICIES,
            )
        )
    if shape := container_shape_problems(spec.template, f"{path}.template.spec"):
        return found + shape  # wrong JSON types: reported by path, not crashed on while building pods
    if not (spec.template.get("spec") or {}).get("containers"):
        detail = "must define at least one container"
        found.append(FieldProblem(f"{path}.template.spec.containers", ProblemKind.REQUIRED, detail))
    return found


def _spec_problems(job: MPIJob) -> list[FieldProblem]:
    spec, policy = job.spec, job.run_policy
    found = []
    if spec.slots_per_worker is None:
        found.append(
            FieldProblem("spec.slotsPerWorker", ProblemKind.REQUIRED, "must have number of slots per worker")
        )
    elif spec.slots_per_worker < 0:
        found.append(
            FieldProblem("spec.slotsPerWorker", ProblemKind.INVALID, _GE_ZERO, spec.slots_per_worker)
        )
    elif spec.slots_per_worker > limits.MAX_PROCESSES_PER_POD:
        found.append(
            limits.too_many("spec.slotsPerWorker", spec.slots_per_worker, limits.MAX_PROCESSES_PER_POD)
        )
    path = "spec.runPolicy.cleanPodPolicy"
    if policy.clean_pod_policy is None:
        found.append(FieldProblem(path, ProblemKind.REQUIRED, "must have clean Pod policy"))
    elif policy.clean_pod_policy not in _CLEAN_POD_POLICIES:
        found.append(
            FieldProblem(
                path,
                ProblemKind.UNSUPPORTED,
                value=policy.clean_pod_policy.value,
                allowed=_CLEAN_POD_POLICIES,
            )
        )
    for field, value in (
        ("ttlSecondsAfterFinished", policy.ttl_seconds_after_finished),
        ("activeDeadlineSeconds", policy.active_deadline_seconds),
        ("backoffLimit", policy.backoff_limit),
    ):
        if value is not None and value < 0:
            found.append(FieldProblem(f"spec.runPolicy.{field}", ProblemKind.INVALID, _GE_ZERO, value))
    if policy.managed_by is not None and policy.managed_by not in (
        MANAGED_BY_MPI_OPERATOR,
        MANAGED_BY_MULTIKUEUE,
    ):
        allowed = (MANAGED_BY_MPI_OPERATOR, MANAGED_BY_MULTIKUEUE)
        found.append(
            FieldProblem(
                "spec.runPolicy.managedBy", ProblemKind.UNSUPPORTED, value=policy.managed_by, allowed=allowed
            )
        )
    if not spec.ssh_auth_mount_path:
        detail = "must have a mount path for SSH credentials"
        found.append(FieldProblem("spec.sshAuthMountPath", ProblemKind.REQUIRED, detail))
    if spec.mpi_implementation not in _IMPLEMENTATIONS:
        found.append(
            FieldProblem(
                "spec.mpiImplementation",
                ProblemKind.UNSUPPORTED,
                value=spec.mpi_implementation,
                allowed=_IMPLEMENTATIONS,
            )
        )
    return found
