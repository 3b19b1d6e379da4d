"""DemoJob: the smallest kind built on core's bases.

Core's own tests (models, validation, CRD generation) use it so they need no framework package; it mirrors
the shape of the v1 kinds (a replica map, a default container and port, a master role).
"""

from typing import Any, ClassVar

from training_operator.core.api.common import ReplicaSpec, RestartPolicy
from training_operator.core.api.job import JobModel, JobSpec
from training_operator.core.engine.draft import StatusDraft
from training_operator.core.engine.replicated import ReplicatedFramework
from training_operator.core.framework import KindInfo


class DemoJobSpec(JobSpec):
    """Spec with one replica map under `demoReplicaSpecs`."""

    replica_map_field: ClassVar[str] = "demo_replica_specs"
    demo_replica_specs: dict[str, ReplicaSpec | None]
    success_policy: str | None = None


class DemoJob(JobModel):
    """A whole DemoJob object."""

    spec: DemoJobSpec


class DemoFramework(ReplicatedFramework):
    """A framework with no env of its own: the master is the Master replica, status is left alone."""

    kind = KindInfo(
        kind="DemoJob",
        plural="demojobs",
        singular="demojob",
        replica_map_key="demoReplicaSpecs",
        replica_types=("Master", "Worker"),
        normalised_types=("Master", "Worker"),
        default_container="demo",
        controller_name="demojob-controller",
        framework_label="demo",
        default_restart_policy=RestartPolicy.NEVER,
        default_port_name="demojob-port",
        default_port=1234,
        scale_replica_type="Worker",
        short_names=("dj",),
    )
    model = DemoJob

    def is_master_role(self, job: JobModel, replica_type: str, index: int) -> bool:
        return replica_type == "Master"

    def update_status(self, job: JobModel, draft: StatusDraft) -> None:
        return None


def a_body(**replicas: dict[str, Any] | None) -> dict[str, Any]:
    """A valid DemoJob body (one Worker by default); keyword arguments replace the replica map."""
    specs = replicas or {"Worker": {"template": {"spec": {"containers": [{"name": "demo", "image": "img"}]}}}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "DemoJob",
        "metadata": {"name": "job-a", "namespace": "default"},
        "spec": {"demoReplicaSpecs": specs},
    }


#: the uid of the stored job `a_stored_body` describes, which its children's owner references carry
STORED_UID = "job-uid"


def a_stored_body(**fields: Any) -> dict[str, Any]:
    """DemoJob `default/job-a` as the API server returns it to an adapter test (uid, resourceVersion 7);
    `fields` (a `status`, say) are added at the top level."""
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "DemoJob",
        "metadata": {"name": "job-a", "namespace": "default", "uid": STORED_UID, "resourceVersion": "7"},
        **fields,
    }


def owner_reference() -> dict[str, Any]:
    """The controller reference a child of `a_stored_body`'s job carries."""
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "DemoJob",
        "name": "job-a",
        "uid": STORED_UID,
        "controller": True,
    }
