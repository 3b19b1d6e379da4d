"""The shape every job kind shares: metadata, a spec with one replica map and a run policy, and a status.

Each framework package subclasses `JobSpec` with its own replica-map field (`tfReplicaSpecs`, ...) and
`JobModel` with that spec; the engine only ever reads a job through `replica_specs` and `run_policy`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from training_operator.core.api.common import ObjectMeta, ReplicaSpec, RunPolicy
from training_operator.core.api.status import JobStatus
from training_operator.core.api.wire import WireModel


class JobSpec(WireModel):
    """Base of every kind's spec; subclasses add the replica map under their own JSON key."""

    replica_map_field: ClassVar[str] = ""
    run_policy: RunPolicy | None = None

    def replica_specs(self) -> Mapping[str, ReplicaSpec | None]:
        """The replica map, whatever its JSON key is for this kind."""
        specs: Mapping[str, ReplicaSpec | None] | None = getattr(self, self.replica_map_field, None)
        return specs or {}

    def with_replica_specs(self, specs: Mapping[str, ReplicaSpec | None]) -> JobSpec:
        """A copy with another replica map (defaulting normalises keys and fills replicas)."""
        return self.model_copy(update={self.replica_map_field: dict(specs)})


class JobModel(WireModel):
    """A whole job object as stored in the API server."""

    api_version: str
    kind: str
    metadata: ObjectMeta = ObjectMeta()
    spec: JobSpec
    status: JobStatus | None = None

    @property
    def name(self) -> str:
        """The job's name ("" before the API server accepted it)."""
        return self.metadata.name or ""

    @property
    def namespace(self) -> str:
        """The job's namespace, `default` when the manifest leaves it out (as kubectl does)."""
        return self.metadata.namespace or "default"

    @property
    def uid(self) -> str:
        """The job's UID, used for owner references and ownership checks."""
        return self.metadata.uid or ""

    @property
    def run_policy(self) -> RunPolicy:
        """The run policy, empty when the job has none."""
        return self.spec.run_policy or RunPolicy()

    def replica_specs(self) -> Mapping[str, ReplicaSpec | None]:
        """The replica map of this job's kind."""
        return self.spec.replica_specs()

    @classmethod
    def narrowed(cls, job: JobModel) -> Self:
        """`job` typed as this kind. A plug-in's hooks receive the base type but only ever jobs its own
        model parsed, so anything else is a programming error: raised at once, not as a missing field."""
        if not isinstance(job, cls):
            raise TypeError(f"expected a {cls.__name__}, got {type(job).__name__}")
        return job

    def with_spec(self, spec: JobSpec) -> JobModel:
        """A copy with a new spec: defaulting never mutates what came from the API server."""
        return self.model_copy(update={"spec": spec})

    def with_run_policy(self, run_policy: RunPolicy) -> JobModel:
        """A copy with a new run policy."""
        return self.with_spec(self.spec.model_copy(update={"run_policy": run_policy}))

    def body(self) -> dict[str, Any]:
        """The object as JSON, exactly the fields it was given."""
        return self.to_wire()
