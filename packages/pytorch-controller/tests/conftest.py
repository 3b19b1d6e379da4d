import functools

import pytest

from training_operator.core.testing import hooks
from training_operator.pytorch.plugin import FRAMEWORK


@pytest.fixture
def pod_of():
    """The pod the engine builds for one slot: the defaulted template plus the framework's additions."""
    return functools.partial(hooks.pod_of, FRAMEWORK)


@pytest.fixture
def defaulted():
    """The job as the engine sees it: parsed, then defaulted in memory."""
    return functools.partial(hooks.defaulted, FRAMEWORK)
