"""The TFJob plug-in, named by the `tfjob` entry point: glue between the v1 engine and this kind."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem, ProblemKind
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef
from training_operator.tf import status, tf_config
from training_operator.tf.api import (
    CHIEF_TYPES,
    KIND,
    REPLICA_TYPES,
    SUCCESS_POLICY_DEFAULT,
    WORKER,
    TFJob,
)

TFJOB_KIND: Final = KindInfo(
    kind=KIND,
    plural="tfjobs",
    singular="tfjob",
    replica_map_key="tfReplicaSpecs",
    replica_types=REPLICA_TYPES,
    normalised_types=REPLICA_TYPES,
    default_container="tensorflow",
    default_port_name="tfjob-port",
    default_port=2222,
    default_restart_policy=RestartPolicy.NEVER,
    controller_name="tfjob-controller",
    framework_label="tensorflow",
    short_names=("tfj",),
)

CHIEF_OR_MASTER_DETAIL: Final = "must not have more than 1 Chief or Master role"


class TFFramework(ReplicatedFramework):
    """TFJob on the common v1 engine: TF_CONFIG, Chief/Master-or-worker-0 master role, TF status rules."""

    kind: ClassVar[KindInfo] = TFJOB_KIND
    model: ClassVar[type[JobModel]] = TFJob

    def default_extras(self, job: JobModel) -> JobModel:
        """`successPolicy` → "" when missing."""
        if TFJob.narrowed(job).spec.success_policy is not None:
            return job
        return job.with_spec(job.spec.model_copy(update={"success_policy": SUCCESS_POLICY_DEFAULT}))

    def kind_problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """At most one of `Chief` and `Master`, counted by exact key (so `chief` + `Master` passes)."""
        if sum(1 for key in job.replica_specs() if key in CHIEF_TYPES) > 1:
            path = f"spec.{self.kind.replica_map_key}"
            return [FieldProblem(path, ProblemKind.FORBIDDEN, CHIEF_OR_MASTER_DETAIL)]
        return ()

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Chief/Master pods when such a spec exists, else Worker 0."""
        if any(key in CHIEF_TYPES for key in job.replica_specs()):
            return replica_type in CHIEF_TYPES
        return replica_type == WORKER and index == 0

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """TF_CONFIG appended to the first `tensorflow` container, for distributed jobs only."""
        value = tf_config.tf_config(TFJob.narrowed(job), replica, self.kind, options.cluster_domain)
        if value is None:
            return pod
        return tf_config.with_tf_config(pod, value, self.kind.default_container)

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Chief/Master- or Worker-led Running/Succeeded; failures re-apply Restarting: see status.py."""
        status.update_status(TFJob.narrowed(job), draft)


FRAMEWORK: Final = TFFramework()
