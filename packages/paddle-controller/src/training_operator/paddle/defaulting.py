"""PaddleJob's own in-memory defaults (frameworks.md §5.3): the elastic bounds, filled like PyTorch's.

A missing bound takes the other one's value; with neither, both take the Worker count (1 when unset). The
bounds drive nothing in v1.9.0; defaulting them keeps what `render` and the SDK show identical to Kubeflow.
"""

from __future__ import annotations

from training_operator.paddle.api import WORKER, PaddleJob


def with_paddle_defaults(job: PaddleJob) -> PaddleJob:
    """The job with both elastic bounds set, or unchanged when it has no elastic policy."""
    policy = job.spec.elastic_policy
    if policy is None:
        return job
    low, high = policy.min_replicas, policy.max_replicas
    if low is None and high is None:
        worker = job.replica_specs().get(WORKER)
        if worker is None:
            return job  # admission cannot require a Worker here (upstream neither); keep the bounds unset
        low = high = 1 if worker.replicas is None else worker.replicas
    elif low is None or high is None:
        low = high = low if low is not None else high
    bounded = policy.model_copy(update={"min_replicas": low, "max_replicas": high})
    return job.model_copy(update={"spec": job.spec.model_copy(update={"elastic_policy": bounded})})
