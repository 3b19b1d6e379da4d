"""The training-operator Python SDK: Kubeflow's `TrainingClient` surface, typed, sync and async.

`from training_operator.unified.sdk import TrainingClient` replaces `from kubeflow.training import
TrainingClient`; see docs/sdk.md for the differences.
"""

from training_operator.unified.sdk.aio import AsyncTrainingClient
from training_operator.unified.sdk.client import TrainingClient
from training_operator.unified.sdk.errors import (
    AlreadyExists,
    Forbidden,
    InvalidSpec,
    JobFailed,
    JobNotFound,
    KindNotInstalled,
    Timeout,
    TrainingError,
    UnknownKind,
)

__all__ = [
    "AlreadyExists",
    "AsyncTrainingClient",
    "Forbidden",
    "InvalidSpec",
    "JobFailed",
    "JobNotFound",
    "KindNotInstalled",
    "Timeout",
    "TrainingClient",
    "TrainingError",
    "UnknownKind",
]
