"""The SDK's public surface: a small, sorted, complete `__all__`, the kind registry's spellings, and both
clients offering every method as a real function with one signature and docstring (blocking, a coroutine,
or an async iterator for streams), Kubeflow's parameters first and in Kubeflow's order."""

from __future__ import annotations

import inspect

import pytest

from training_operator.unified import sdk
from training_operator.unified.sdk import UnknownKind, kinds, surface


def test_all_is_sorted_and_complete():
    assert sdk.__all__ == sorted(sdk.__all__)
    public = {name for name in dir(sdk) if not name.startswith("_") and name[0].isupper()}
    assert public == set(sdk.__all__)


@pytest.mark.parametrize(
    ("spelling", "kind", "api_version"),
    [
        pytest.param("tfjobs", "TFJob", "kubeflow.org/v1", id="plural"),
        pytest.param("PyTorch", "PyTorchJob", "kubeflow.org/v1", id="short"),
        pytest.param("mxjob", "MXJob", "kubeflow.org/v1", id="lower"),
        pytest.param("xgb", "XGBoostJob", "kubeflow.org/v1", id="alias"),
        pytest.param("jax", "JAXJob", "kubeflow.org/v1", id="jax-alias"),
        pytest.param("MPIJob", "MPIJob", "kubeflow.org/v2beta1", id="mpi-v2beta1"),
    ],
)
def test_kinds_resolve_from_any_spelling(spelling, kind, api_version):
    ref = kinds.resolve(spelling)
    assert (ref.kind, ref.api_version) == (kind, api_version)


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(
        UnknownKind,
        match="'foo': known kinds are JAXJob, MPIJob, MXJob, PaddleJob, PyTorchJob, TFJob, XGBoostJob",
    ):
        kinds.resolve("foo")


METHODS = sorted(surface.Surface.methods())


@pytest.mark.parametrize("name", METHODS)
def test_both_clients_have_each_method_with_one_signature_and_docstring(name):
    blocking, awaiting = getattr(sdk.TrainingClient, name), getattr(sdk.AsyncTrainingClient, name)
    streams = isinstance(surface.Surface.methods()[name], surface.stream)

    assert inspect.isfunction(blocking)
    assert (inspect.isasyncgenfunction if streams else inspect.iscoroutinefunction)(awaiting)
    sync_signature, async_signature = inspect.signature(blocking), inspect.signature(awaiting)
    assert sync_signature.parameters == async_signature.parameters
    assert blocking.__doc__ == awaiting.__doc__
    assert blocking.__doc__
    assert blocking.__qualname__ == f"TrainingClient.{name}"


def test_kubeflows_methods_keep_their_parameters():
    expected = {
        "create_job": ["job", "name", "namespace", "labels", "annotations", "job_kind"],
        "get_job": ["name", "namespace", "job_kind", "timeout"],
        "list_jobs": ["namespace", "job_kind", "timeout"],
        "get_job_conditions": ["name", "namespace", "job_kind", "job", "timeout"],
        "wait_for_job_conditions": [
            "name", "namespace", "job_kind", "expected_conditions", "wait_timeout", "polling_interval",
            "callback", "timeout",
        ],
        "get_job_pods": ["name", "namespace", "is_master", "replica_type", "replica_index", "timeout"],
        "get_job_logs": [
            "name", "namespace", "job_kind", "is_master", "replica_type", "replica_index", "follow",
            "timeout", "verbose",
        ],
        "update_job": ["job", "name", "namespace", "job_kind"],
        "delete_job": ["name", "namespace", "job_kind", "delete_options"],
    }  # fmt: skip
    for name, parameters in expected.items():
        found = list(inspect.signature(getattr(sdk.TrainingClient, name)).parameters)[1:]
        assert found[: len(parameters)] == parameters, name
