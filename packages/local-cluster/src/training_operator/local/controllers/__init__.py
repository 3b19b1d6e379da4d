"""The built-in controllers a control plane runs and the operator relies on."""

from training_operator.local.controllers.base import Controller
from training_operator.local.controllers.garbage import GarbageCollector
from training_operator.local.controllers.jobs import JobController
from training_operator.local.controllers.namespaces import NamespaceFinalizer
from training_operator.local.controllers.scheduler import Scheduler
from training_operator.local.registry import Registry


def builtin_controllers(
    registry: Registry, *, node_name: str, backoff_base: float = 10.0, backoff_cap: float = 360.0
) -> list[Controller]:
    """Scheduler, garbage collector, Job controller and namespace finalizer, ready to `run()`."""
    return [
        Scheduler(registry, node_name=node_name),
        GarbageCollector(registry),
        JobController(registry, backoff_base=backoff_base, backoff_cap=backoff_cap),
        NamespaceFinalizer(registry),
    ]
