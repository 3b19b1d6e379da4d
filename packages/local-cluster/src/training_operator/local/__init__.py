"""training-operator-local: an embedded Kubernetes-compatible control plane whose node runs pods as processes.

Public surface: start one in-process (`LocalCluster`), in a background thread (`BackgroundCluster`), or as a
daemon other tools share (`ensure_running`, `is_running`, `stop`).
"""

from training_operator.local.__about__ import __version__
from training_operator.local.cluster import LocalCluster, default_state_dir
from training_operator.local.daemon import RunningCluster, ensure_running, is_running, stop
from training_operator.local.testing import BackgroundCluster

__all__ = [
    "BackgroundCluster",
    "LocalCluster",
    "RunningCluster",
    "__version__",
    "default_state_dir",
    "ensure_running",
    "is_running",
    "stop",
]
