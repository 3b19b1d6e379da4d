"""The PyTorchJob plug-in: the object the `pytorchjob` entry point names. Glue only.

Every rule lives in its own module (defaulting, validation, env, init container, HPA, status); this class
binds them to core's `ReplicatedFramework` hooks so the common v1 engine runs PyTorchJobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from training_operator.core.api.common import RestartPolicy
from training_operator.core.api.job import JobModel
from training_operator.core.api.problems import FieldProblem
from training_operator.core.engine.container_env import append_to_all_containers
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import ChildResource, EngineOptions, Flag, KindInfo, ReplicaRef
from training_operator.pytorch import defaulting, env, hpa, init_container, status, validation
from training_operator.pytorch.api import MASTER, REPLICA_TYPES, WORKER, PyTorchJob
from training_operator.pytorch.init_container import InitContainerOptions

KIND_INFO = KindInfo(
    kind="PyTorchJob",
    plural="pytorchjobs",
    singular="pytorchjob",
    replica_map_key=validation.MAP_KEY,
    replica_types=REPLICA_TYPES,
    normalised_types=REPLICA_TYPES,
    default_container=env.DEFAULT_CONTAINER,
    default_port_name=env.DEFAULT_PORT_NAME,
    default_port=env.DEFAULT_PORT,
    default_restart_policy=RestartPolicy.ON_FAILURE,
    controller_name="pytorchjob-controller",
    framework_label="pytorch",
    short_names=("ptj",),
    scale_replica_type=WORKER,
    children=frozenset({ChildResource.POD, ChildResource.SERVICE, ChildResource.HPA}),
)


class PyTorchFramework(ReplicatedFramework):
    """PyTorchJob on the common v1 engine: torchrun env, the wait-for-master init container, the HPA."""

    kind = KIND_INFO
    model = PyTorchJob
    restrict_replica_types = True
    writes_selector = True

    def __init__(self, init_container: InitContainerOptions | None = None) -> None:
        self.init_container = init_container or InitContainerOptions()

    def flags(self) -> Sequence[Flag]:
        """`--pytorch-init-container-image`, `-template-file` and `-max-tries`."""
        return init_container.FLAGS

    def configured(self, values: Mapping[str, Any]) -> PyTorchFramework:
        """A PyTorchFramework whose Workers' init container follows the operator's flags."""
        return PyTorchFramework(InitContainerOptions.from_flags(values))

    def default_extras(self, job: JobModel) -> JobModel:
        """Elastic bounds and `nprocPerNode` (frameworks.md §2.3)."""
        return defaulting.with_pytorch_defaults(job)

    def kind_problems(self, job: JobModel, *, old: JobModel | None = None) -> Sequence[FieldProblem]:
        """Replica counts, elastic needs a Worker, nProcPerNode conflict (frameworks.md §2.4)."""
        return validation.pytorch_problems(job)

    def admission_warnings(self, job: JobModel) -> Sequence[str]:
        """The `elasticPolicy.nProcPerNode` deprecation warning."""
        return validation.pytorch_warnings(job)

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Master pods; in a job without a Master, Worker 0 (frameworks.md §2.6)."""
        if MASTER in job.replica_specs():
            return replica_type == MASTER
        return replica_type == WORKER and index == 0

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """Env on every container; Workers of a job with a Master also wait for the Master's DNS name."""
        append_to_all_containers(pod, env.pytorch_env(job, replica))
        if replica.replica_type == WORKER and MASTER in job.replica_specs():
            pod_spec = pod.setdefault("spec", {})
            added = init_container.init_containers(env.master_address(job), self.init_container)
            pod_spec["initContainers"] = [*(pod_spec.get("initContainers") or []), *added]
        return pod

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Master decides when present, else the Workers (frameworks.md §2.9; Master visited first)."""
        status.update_pytorch_status(job, draft)

    def extra_children(
        self, job: JobModel, observed: Snapshot, *, options: EngineOptions
    ) -> Sequence[Mapping[str, Any]]:
        """The HPA of an elastic job with metrics (frameworks.md §2.8)."""
        return hpa.hpa_children(job, observed, controller_name=self.kind.controller_name)


FRAMEWORK = PyTorchFramework()
