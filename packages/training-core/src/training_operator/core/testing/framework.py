"""TestJob: a trivial v1 kind that proves the common engine on its own, without any framework package.

Its status rule is the smallest faithful one (Kubeflow TF's shape): the master-role type decides Running and
Succeeded, any failed replica fails the job unless a restart was in progress. Hooks can be injected so engine
tests can make `replica_pod` fail or ask for extra children.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from training_operator.core.api.common import ReplicaSpec, RestartPolicy
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.api.status import ConditionType
from training_operator.core.engine.draft import JOBS_FAILED, JOBS_RESTARTED, JOBS_SUCCESSFUL, StatusDraft
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import EngineOptions, KindInfo, ReplicaRef

TEST_KIND = KindInfo(
    kind="TestJob",
    plural="testjobs",
    singular="testjob",
    replica_map_key="testReplicaSpecs",
    replica_types=("Chief", "Master", "PS", "Worker", "Evaluator"),
    normalised_types=("Chief", "Master", "PS", "Worker", "Evaluator"),
    default_container="trainer",
    controller_name="testjob-controller",
    framework_label="test",
    default_restart_policy=RestartPolicy.NEVER,
    default_port_name="testjob-port",
    default_port=2222,
    scale_replica_type="Worker",
)

PodHook = Callable[[JobModel, ReplicaRef, dict[str, Any]], dict[str, Any]]
ExtrasHook = Callable[[JobModel, Snapshot], Sequence[Mapping[str, Any]]]


class TestJobSpec(JobSpec):
    """Spec with one replica map under `testReplicaSpecs`."""

    __test__ = False
    replica_map_field: ClassVar[str] = "test_replica_specs"
    test_replica_specs: dict[str, ReplicaSpec | None]


class TestJob(JobModel):
    """A whole TestJob object."""

    __test__ = False
    spec: TestJobSpec


class TestFramework(ReplicatedFramework):
    """The trivial plug-in: master = Chief/Master if present, else Worker 0."""

    __test__ = False
    kind = TEST_KIND
    model = TestJob

    def __init__(self, *, pod_hook: PodHook | None = None, extras_hook: ExtrasHook | None = None) -> None:
        self.pod_hook = pod_hook
        self.extras_hook = extras_hook

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        """Chief/Master pods, or Worker 0 when the job has neither."""
        leader = _leader(job)
        return replica_type == leader if leader != "Worker" else (replica_type, index) == ("Worker", 0)

    def replica_pod(
        self, job: JobModel, replica: ReplicaRef, pod: dict[str, Any], *, options: EngineOptions
    ) -> dict[str, Any]:
        """The injected hook's pod, or the pod unchanged."""
        return pod if self.pod_hook is None else self.pod_hook(job, replica, pod)

    def extra_children(
        self, job: JobModel, observed: Snapshot, *, options: EngineOptions
    ) -> Sequence[Mapping[str, Any]]:
        """The injected hook's children, or none."""
        return () if self.extras_hook is None else self.extras_hook(job, observed)

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        """Running / Succeeded from the leader type; Failed (or Restarting again) for failed replicas."""
        name, kind = f"{job.namespace}/{job.name}", self.kind.kind
        draft.mark_started()
        leader = _leader(job)
        for replica_type in job.replica_specs():
            counts = draft.counts(replica_type)
            if replica_type == leader:
                if counts.expected == 0:
                    message = f"{kind} {name} successfully completed."
                    draft.set_condition(ConditionType.SUCCEEDED, "True", f"{kind}Succeeded", message)
                    if draft.is_true(ConditionType.SUCCEEDED) and not draft.status.get("completionTime"):
                        draft.mark_completed()
                        draft.event("Normal", f"{kind}Succeeded", message)
                        draft.count(JOBS_SUCCESSFUL)
                elif counts.active > 0:
                    message = f"{kind} {name} is running."
                    draft.set_condition(ConditionType.RUNNING, "True", f"{kind}Running", message)
            if counts.failed > 0:
                self._failed(draft, replica_type, counts.failed)

    def _failed(self, draft: StatusDraft, replica_type: str, failed: int) -> None:
        kind, job = self.kind.kind, draft.job
        if draft.restarting_at_start:
            message = f"{kind} {job.namespace}/{job.name} is restarting because {replica_type} failed."
            if draft.set_condition(ConditionType.RESTARTING, "True", f"{kind}Restarting", message):
                draft.count(JOBS_RESTARTED)
            return
        message = (
            f"{kind} {job.namespace}/{job.name} has failed because {failed} {replica_type} replica(s) failed."
        )
        if draft.set_condition(ConditionType.FAILED, "True", f"{kind}Failed", message):
            draft.mark_completed()
            draft.event("Normal", f"{kind}Failed", message)
            draft.count(JOBS_FAILED)


class ScalableTestFramework(TestFramework):
    """TestJob with a scale subresource: the engine writes `replicaStatuses[*].selector`."""

    __test__ = False
    writes_selector: ClassVar[bool] = True


def _leader(job: JobModel) -> str:
    specs = job.replica_specs()
    return next((t for t in ("Chief", "Master") if t in specs), "Worker")
