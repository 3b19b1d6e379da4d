import functools

import pytest

from training_operator.core.testing import hooks
from training_operator.jax.plugin import FRAMEWORK


@pytest.fixture
def defaulted():
    return functools.partial(hooks.defaulted, FRAMEWORK)


@pytest.fixture
def pod_of():
    """The pod the engine builds for one slot: the defaulted template plus the framework's additions."""
    return functools.partial(hooks.pod_of, FRAMEWORK)
