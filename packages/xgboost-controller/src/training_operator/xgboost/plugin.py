"""The XGBoostJob plug-in, named by the `xgboostjob` entry point: glue between the v1 engine and this kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem, ProblemKind
from training_operator.core.engine import container_env
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef
from training_operator.xgboost import env, status
from training_operator.xgboost.api import KIND, MASTER, REPLICA_TYPES, XGBoostJob

XGBOOSTJOB_KIND: Final = KindInfo(
    kind=KIND,
    plural="xgboostjobs",
    singular="xgboostjob",
    replica_map_key="xgbReplicaSpecs",
    replica_types=REPLICA_TYPES,
    normalised_types=REPLICA_TYPES,
    default_container="xgboost",
    default_port_name="xgboostjob-port",
    default_port=9999,
    default_restart_policy=RestartPolicy.NEVER,
    controller_name="xgboostjob-controller",
    framework_label="xgboost",
    short_names=("xgbj",),
)


class XGBoostFramework(ReplicatedFramework):
    """XGBoostJob on the common v1 engine: Rabit env, the Master as master role, Master-led status."""

    kind: ClassVar[KindInfo] = XGBOOSTJOB_KIND
    model: ClassVar[type[JobModel]] = XGBoostJob
    restrict_replica_types: ClassVar[bool] = True

    def kind_problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """A Master must exist and have `replicas: 1` written out (validation precedes defaulting, F6)."""
        if getattr(job.spec, "xgb_replica_specs", None) is None:
            return ()  # the common "must be required" rule already fired
        path = f"spec.{self.kind.replica_map_key}[{MASTER}]"
        specs = job.replica_specs()
        if MASTER not in specs:
            return [FieldProblem(path, ProblemKind.REQUIRED, "must be present")]
        master = specs[MASTER]
        if master is not None and master.replicas != 1:
            return [FieldProblem(f"{path}.replicas", ProblemKind.FORBIDDEN, "must be 1")]
        return ()

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Every Master pod (there is exactly one)."""
        return replica_type == MASTER

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """MASTER_*, WORLD_SIZE, RANK (and LightGBM's WORKER_*) appended to every container."""
        found = env.env(XGBoostJob.narrowed(job), replica, self.kind)
        return container_env.append_to_all_containers(pod, found)

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Master-led Running/Succeeded; a failed replica restarts (ExitCode) or fails the job."""
        status.update_status(XGBoostJob.narrowed(job), draft)


FRAMEWORK: Final = XGBoostFramework()
