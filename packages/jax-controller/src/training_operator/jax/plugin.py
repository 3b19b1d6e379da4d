"""The JAXJob plug-in, named by the `jaxjob` entry point: glue between the v1 engine and this kind."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.engine import container_env
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef
from training_operator.jax import env, status
from training_operator.jax.api import KIND, REPLICA_TYPES, WORKER, JAXJob

JAXJOB_KIND: Final = KindInfo(
    kind=KIND,
    plural="jaxjobs",
    singular="jaxjob",
    replica_map_key="jaxReplicaSpecs",
    replica_types=REPLICA_TYPES,
    normalised_types=REPLICA_TYPES,
    default_container="jax",
    default_port_name="jaxjob-port",
    default_port=6666,
    default_restart_policy=RestartPolicy.NEVER,
    controller_name="jaxjob-controller",
    framework_label="jax",
    short_names=("jaxj",),
    scale_replica_type=WORKER,
)


class JAXFramework(ReplicatedFramework):
    """JAXJob on the common v1 engine: coordinator env, worker-0 as master role, Worker-led status.

    The common admission rules include `managedBy` (allowed values, immutable) and the engine's managedBy
    gate applies: upstream's JAX webhook and controller skip both (quirk F18, fixed).
    """

    kind: ClassVar[KindInfo] = JAXJOB_KIND
    model: ClassVar[type[JobModel]] = JAXJob
    restrict_replica_types: ClassVar[bool] = True
    writes_selector: ClassVar[bool] = True

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Every pod with index 0: worker-0, which hosts the coordinator."""
        return index == 0

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """COORDINATOR_*, NUM_PROCESSES, PROCESS_ID and PYTHONUNBUFFERED appended to every container."""
        return container_env.append_to_all_containers(pod, env.env(JAXJob.narrowed(job), replica, self.kind))

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Succeeded when every Worker has; a failed Worker restarts or (Never) fails the job."""
        status.update_status(JAXJob.narrowed(job), draft)


FRAMEWORK: Final = JAXFramework()
