"""The training-operator Python SDK: Kubeflow's `TrainingClient` surface, typed, sync and async.

`from training_operator.unified.sdk import TrainingClient` replaces `from kubeflow.training import
TrainingClient`; see docs/sdk.md for the differences.
"""

import typing as _typing

if _typing.TYPE_CHECKING:
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

# Loaded on first use (PEP 562): a CLI command that needs only the errors does not pay for aiohttp.
_HOMES = {
    "AsyncTrainingClient": "training_operator.unified.sdk.aio",
    "TrainingClient": "training_operator.unified.sdk.client",
}


def __getattr__(name: str) -> _typing.Any:
    import importlib

    home = _HOMES.get(name, "training_operator.unified.sdk.errors" if name in __all__ else None)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
