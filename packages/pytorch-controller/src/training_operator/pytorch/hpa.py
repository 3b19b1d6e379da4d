"""The HorizontalPodAutoscaler of an elastic PyTorchJob with metrics (frameworks.md §2.8).

The HPA scales the job through its `scale` subresource (Worker replicas); the engine creates, updates and
deletes it like any other child from what `hpa_children` says should exist right now:

* no elastic policy or no metrics: nothing is wanted, but an HPA that already exists is **kept** as it is
  (quirk F12, replicated: upstream never deletes it in that case);
* suspended: no HPA (an existing one is deleted, unsuspending recreates it);
* otherwise the desired HPA, whether or not the job has finished.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from training_operator.core.api.job import JobModel
from training_operator.core.engine import naming
from training_operator.core.engine.observed import Snapshot
from training_operator.core.engine.owner import controller_reference
from training_operator.pytorch.api import spec_of

API_VERSION = "autoscaling/v2"
KIND = "HorizontalPodAutoscaler"
_KEPT_FIELDS = ("apiVersion", "kind", "metadata", "spec")


def hpa_children(job: JobModel, observed: Snapshot, *, controller_name: str) -> list[Mapping[str, Any]]:
    """The HPA this job should have now: none, the one that exists (kept untouched), or the desired one."""
    if job.run_policy.suspend:
        return []
    desired = desired_hpa(job, controller_name=controller_name)
    if desired is not None:
        return [desired]
    existing = observed.object(KIND, job.name)
    if existing is None or existing.deleting or existing.owner_uid != job.uid:
        return []  # another controller's HPA at the job's name is not the job's to keep
    return [{key: existing.body[key] for key in _KEPT_FIELDS if key in existing.body}]


def desired_hpa(job: JobModel, *, controller_name: str) -> dict[str, Any] | None:
    """The autoscaling/v2 body for an elastic job with metrics; None when the job does not ask for one.

    Labelled with the job's two operator labels (upstream sets none) so the adapter's label-scoped watch
    sees it (docs/differences/pytorch.md).
    """
    policy = spec_of(job).elastic_policy
    if policy is None or policy.metrics is None:
        return None
    spec: dict[str, Any] = {
        "scaleTargetRef": {"kind": job.kind, "name": job.name, "apiVersion": job.api_version},
    }
    if policy.min_replicas is not None:
        spec["minReplicas"] = policy.min_replicas
    if policy.max_replicas is not None:
        spec["maxReplicas"] = policy.max_replicas
    spec["metrics"] = copy.deepcopy(policy.metrics)
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {
            "name": job.name,
            "namespace": job.namespace,
            "labels": naming.job_labels(job.name, controller_name),
            "ownerReferences": [controller_reference(job)],
        },
        "spec": spec,
    }
