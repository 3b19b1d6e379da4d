"""The SDK's public surface: a small, sorted, complete `__all__`, and the kind registry's spellings."""

from __future__ import annotations

import pytest

from training_operator.unified import sdk
from training_operator.unified.sdk import UnknownKind, kinds


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
        pytest.param("MPIJob", "MPIJob", "kubeflow.org/v2beta1", id="mpi-v2beta1"),
    ],
)
def test_kinds_resolve_from_any_spelling(spelling, kind, api_version):
    ref = kinds.resolve(spelling)
    assert (ref.kind, ref.api_version) == (kind, api_version)


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(
        UnknownKind, match="'paddle': known kinds are MPIJob, MXJob, PyTorchJob, TFJob, XGBoostJob"
    ):
        kinds.resolve("paddle")
