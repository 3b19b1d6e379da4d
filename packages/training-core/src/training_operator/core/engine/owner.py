"""The controller owner reference every child of a job carries (common.md §6.4, mpi.md §6).

One function so that every framework (and the v1 engine) writes exactly the same reference: garbage
collection and the ownership checks that guard name conflicts both depend on it.
"""

from __future__ import annotations

from typing import Any

from training_operator.core.api.job import JobModel


def controller_reference(job: JobModel) -> dict[str, Any]:
    """`{apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true}` pointing at the job."""
    return {
        "apiVersion": job.api_version,
        "kind": job.kind,
        "name": job.name,
        "uid": job.uid,
        "controller": True,
        "blockOwnerDeletion": True,
    }
