"""Appending operator env vars to a pod's containers (frameworks.md §0.6).

Entries are appended after the user's own, never replacing them: Kubernetes lets the later duplicate win at
runtime, and both stay visible in the pod spec exactly as upstream writes them. Init containers get none.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EnvVar = dict[str, Any]


def env_var(name: str, value: str) -> EnvVar:
    """A plain `{name, value}` entry (every operator variable is a string value)."""
    return {"name": name, "value": value}


def append_to_all_containers(pod: dict[str, Any], entries: Sequence[EnvVar]) -> dict[str, Any]:
    """Append a copy of `entries` to the env of every regular container of `pod` (mutated and returned)."""
    for container in (pod.get("spec") or {}).get("containers") or []:
        container["env"] = [*(container.get("env") or []), *(dict(e) for e in entries)]
    return pod
