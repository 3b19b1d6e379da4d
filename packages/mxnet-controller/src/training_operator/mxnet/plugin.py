"""The MXJob plug-in, named by the `mxjob` entry point: glue between the common v1 engine and this package."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem
from training_operator.core.engine import container_env
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import (
    ReplicatedFramework,
    case_duplicate_problems,
    managed_by_problems,
)
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef
from training_operator.mxnet import env, status, validation
from training_operator.mxnet.api import KIND, NORMALISED_TYPES, REPLICA_TYPES, SERVER, MXJob

MXJOB_KIND: Final = KindInfo(
    kind=KIND,
    plural="mxjobs",
    singular="mxjob",
    replica_map_key="mxReplicaSpecs",
    replica_types=REPLICA_TYPES,
    normalised_types=NORMALISED_TYPES,
    default_container="mxnet",
    default_port_name="mxjob-port",
    default_port=9091,
    default_restart_policy=RestartPolicy.NEVER,
    controller_name="mxjob-controller",
    framework_label="mxnet",
    short_names=("mxj",),
)


class MXNetFramework(ReplicatedFramework):
    """MXJob on the common v1 engine: DMLC_*/MX_CONFIG env, Server pods as master, scheduler-led status."""

    kind: ClassVar[KindInfo] = MXJOB_KIND
    model: ClassVar[type[JobModel]] = MXJob

    def problems(self, job: JobModel, *, old: JobModel | None = None) -> list[FieldProblem]:
        """Upstream's controller-side checks with their texts, plus the rules every kind shares here."""
        mxjob = MXJob.narrowed(job)
        found = validation.name_problems(job.name)
        found += managed_by_problems(job.run_policy, None if old is None else old.run_policy)
        found += validation.spec_problems(
            mxjob, map_key=self.kind.replica_map_key, default_container=self.kind.default_container
        )
        found += case_duplicate_problems(job.replica_specs(), self.kind.replica_map_key)
        found += self.derived_name_problems(job)
        return found

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Server pods, not the Scheduler (quirk F14, replicated: users' selectors may rely on it)."""
        return replica_type == SERVER

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """MX_CONFIG and DMLC_* appended to every container."""
        return container_env.append_to_all_containers(pod, env.env(MXJob.narrowed(job), replica, self.kind))

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Scheduler-led (or tuner-led) Running/Succeeded; any failed replica fails or restarts the job."""
        status.update_status(MXJob.narrowed(job), draft)


FRAMEWORK: Final = MXNetFramework()
