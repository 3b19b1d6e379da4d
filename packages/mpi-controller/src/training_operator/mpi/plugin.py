"""The MPIJob v2beta1 plug-in: the object the `mpijob` entry point names. Glue only.

It answers core's `Framework.own_plan` hook, because MPIJob's life cycle — a launcher batch Job, a hostfile,
an SSH Secret — is not the common v1 engine's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.plan import Plan
from training_operator.core.framework import ChildResource, EngineOptions, Framework, KindInfo
from training_operator.mpi import lifecycle, naming, ssh, validation
from training_operator.mpi.api import DEFAULT_CONTAINER, KIND, LAUNCHER, WORKER, MPIJob
from training_operator.mpi.defaults import defaulted

KIND_INFO = KindInfo(
    kind=KIND,
    plural="mpijobs",
    singular="mpijob",
    replica_map_key="mpiReplicaSpecs",
    replica_types=(LAUNCHER, WORKER),
    default_container=DEFAULT_CONTAINER,
    controller_name=naming.CONTROLLER_NAME,
    framework_label=naming.FRAMEWORK_LABEL,
    default_restart_policy=RestartPolicy.NEVER,
    version="v2beta1",
    short_names=("mpij",),
    children=frozenset(
        {
            ChildResource.POD,
            ChildResource.SERVICE,
            ChildResource.CONFIG_MAP,
            ChildResource.SECRET,
            ChildResource.BATCH_JOB,
            ChildResource.VOLCANO_POD_GROUP,
            ChildResource.SCHEDULER_PLUGINS_POD_GROUP,
        }
    ),
)


class MPIFramework(Framework):
    """MPIJob `kubeflow.org/v2beta1`: launcher Job, hostfile ConfigMap, SSH Secret, OpenMPI/Intel/MPICH."""

    kind: ClassVar[KindInfo] = KIND_INFO
    model: ClassVar[type[JobModel]] = MPIJob

    def parse(self, body: Mapping[str, Any]) -> MPIJob:
        """A typed MPIJob; schema problems are reported with their wire paths."""
        return _mpi(super().parse(body))

    def default(self, job: JobModel) -> MPIJob:
        """mpi.md §3 on a copy."""
        return defaulted(_mpi(job))

    def problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """mpi.md §4, checked after defaulting exactly as upstream's controller checks it."""
        return validation.problems(defaulted(_mpi(job)))

    def wants_key_pair(self, job: JobModel, observed: Snapshot) -> bool:
        """A job whose `<name>-ssh` Secret is missing or lacks our two keys needs a fresh pair."""
        found = observed.object("Secret", naming.secret(_mpi(job)))
        return not ssh.usable(None if found is None else found.body)

    def own_plan(self, job: JobModel, observed: Snapshot, *, now: datetime, options: EngineOptions) -> Plan:
        """One sync of mpi.md §7."""
        return lifecycle.plan(_mpi(job), observed, now=now, options=options)


def _mpi(job: JobModel) -> MPIJob:
    return job if isinstance(job, MPIJob) else MPIJob.model_validate(job.body())


FRAMEWORK = MPIFramework()
