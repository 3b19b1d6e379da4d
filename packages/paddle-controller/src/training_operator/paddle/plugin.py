"""The PaddleJob plug-in, named by the `paddlejob` entry point: glue between the v1 engine and this kind."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem
from training_operator.core.engine import container_env
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef
from training_operator.paddle import defaulting, env, status
from training_operator.paddle.api import KIND, MASTER, REPLICA_TYPES, WORKER, PaddleJob

PADDLEJOB_KIND: Final = KindInfo(
    kind=KIND,
    plural="paddlejobs",
    singular="paddlejob",
    replica_map_key="paddleReplicaSpecs",
    replica_types=REPLICA_TYPES,
    normalised_types=REPLICA_TYPES,
    default_container=env.DEFAULT_CONTAINER,
    default_port_name=env.DEFAULT_PORT_NAME,
    default_port=env.DEFAULT_PORT,
    default_restart_policy=RestartPolicy.ON_FAILURE,
    controller_name="paddlejob-controller",
    framework_label="paddle",
    short_names=("pdj",),
    scale_replica_type=WORKER,
)

#: core's text for a template without the default container; Paddle's webhook quotes the name (§5.4)
_UNQUOTED: Final = f"must have at least one container with name {env.DEFAULT_CONTAINER}"
_QUOTED: Final = f'must have at least one container with name "{env.DEFAULT_CONTAINER}"'


class PaddleFramework(ReplicatedFramework):
    """PaddleJob on the v1 engine: PADDLE_* env, Masters as master role, Master- or Worker-led status."""

    kind: ClassVar[KindInfo] = PADDLEJOB_KIND
    model: ClassVar[type[JobModel]] = PaddleJob
    restrict_replica_types: ClassVar[bool] = True
    writes_selector: ClassVar[bool] = True

    def problems(self, job: JobModel, *, old: JobModel | None = None) -> list[FieldProblem]:
        """The common rules, with the missing-container message worded as Paddle's webhook words it."""
        found = super().problems(job, old=old)
        return [dataclasses.replace(p, detail=_QUOTED) if p.detail == _UNQUOTED else p for p in found]

    def default_extras(self, job: JobModel) -> JobModel:
        """Elastic min/max bounds (frameworks.md §5.3)."""
        return defaulting.with_paddle_defaults(PaddleJob.narrowed(job))

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Master pods only: a collective job has no master-role pod (frameworks.md §5.6)."""
        return replica_type == MASTER

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """PADDLE_* env appended to every container."""
        return container_env.append_to_all_containers(
            pod, env.paddle_env(PaddleJob.narrowed(job), replica, self.kind)
        )

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Master-led in PS mode, Worker-led in collective mode (frameworks.md §5.7)."""
        status.update_status(PaddleJob.narrowed(job), draft)


FRAMEWORK: Final = PaddleFramework()
