"""The port a replica advertises to its peers, read from its spec (frameworks.md §0.8).

Several kinds (MXNet, XGBoost, PyTorch, JAX) put a replica type's port into other pods' env. Upstream reads it
from the replica spec, not from a pod: the first port with the kind's default port name on a container with
the kind's default container name. One lookup keeps that rule identical across kinds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training_operator.core.api.common import ReplicaSpec
from training_operator.core.framework import KindInfo


def container_port(template: Mapping[str, Any], *, container: str, port_name: str) -> int | None:
    """`containerPort` of the first port named `port_name` on a container named `container`, or None."""
    for candidate in (template.get("spec") or {}).get("containers") or []:
        if (candidate or {}).get("name") != container:
            continue
        for port in candidate.get("ports") or []:
            if (port or {}).get("name") == port_name and port.get("containerPort") is not None:
                return int(port["containerPort"])
    return None


def replica_port(spec: ReplicaSpec | None, kind: KindInfo) -> int | None:
    """The kind's default port on a replica spec's default container; None when the spec or port is missing.

    After defaulting the port always exists on the default container, so None means validation was bypassed;
    callers turn it into their kind's reconcile error.
    """
    if spec is None or kind.default_port_name is None:
        return None
    return container_port(spec.template, container=kind.default_container, port_name=kind.default_port_name)
