"""What every client operation resolves first: the kind and namespace a call means.

A call that names none falls back to the client's `job_kind` and `namespace`, read at call time (Kubeflow's
code sets `client.namespace = ...` between calls). The operation families (`operations`, `pods`, `streams`)
share this base.
"""

from __future__ import annotations

from typing import Any

from training_operator.unified.sdk import calls, jobs, kinds, steps

DEFAULT_TIMEOUT = 120  # Kubeflow's constants.DEFAULT_TIMEOUT: seconds one API call may take


class Scope:
    """The client defaults an operation falls back to, and the helpers every family uses."""

    def __init__(self, defaults: jobs.ClientDefaults) -> None:
        self.defaults = defaults

    def kind(self, job_kind: str | None) -> kinds.KindRef:
        """The kind a call means: its `job_kind` (any spelling), else the client's."""
        return kinds.resolve(job_kind or self.defaults.job_kind)

    def namespace(self, namespace: str | None) -> str:
        """The namespace a call means: its own, else the client's."""
        return namespace or self.defaults.namespace

    def items(self, call: calls.Call, timeout: float | None) -> steps.Plan[list[dict[str, Any]]]:
        """The `items` of a LIST answer."""
        listing = yield steps.Send(call, timeout)
        return list(listing.get("items") or [])
