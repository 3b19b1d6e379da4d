"""Assemble one operator from settings: discovered frameworks, an explicit kopf registry, the index, one work
queue per kind, the writer. No globals: tests compose an operator with any plug-in set (STYLE.md §6).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import kopf

from training_operator.core import discovery
from training_operator.core.framework import ChildResource, EngineOptions, Framework, KindInfo
from training_operator.core.kube import resources
from training_operator.core.kube.index import Index, JobKey
from training_operator.core.kube.queue import WorkQueue
from training_operator.core.kube.reconcile import JobStore, Reconciler
from training_operator.core.metrics import Metrics
from training_operator.unified import handlers, storage, webhooks
from training_operator.unified.settings import Settings

log = logging.getLogger(__name__)
_POD_GROUPS = {
    "volcano": ChildResource.VOLCANO_POD_GROUP,
    "scheduler-plugins": ChildResource.SCHEDULER_PLUGINS_POD_GROUP,
}


@dataclass
class Parts:
    """Everything the running operator is made of (the I/O-bound pieces are added by `runtime`)."""

    settings: Settings
    frameworks: Mapping[str, Framework]
    options: EngineOptions
    #: PriorityClass name → value, kept current by a watch while gang scheduling is on; each reconcile copies
    #: it into the snapshot the engine plans from
    priority_classes: dict[str, int]
    registry: kopf.OperatorRegistry
    store: JobStore
    index: Index
    metrics: Metrics
    queues: dict[str, WorkQueue[JobKey]] = field(default_factory=dict)
    reconcilers: dict[str, Reconciler] = field(default_factory=dict)

    @property
    def kinds(self) -> list[KindInfo]:
        """The enabled kinds."""
        return [f.kind for f in self.frameworks.values()]

    def children(self) -> list[ChildResource]:
        """Child resources to watch: those the kinds declare; PodGroups only of the gang scheduler in use."""
        wanted: set[ChildResource] = set()
        for kind in self.kinds:
            wanted |= kind.children
        wanted -= set(_POD_GROUPS.values())
        pod_groups = self.pod_group_child()
        if pod_groups is not None:
            wanted.add(pod_groups)
        wanted = {c for c in wanted if resources.CHILDREN[c].kind not in self.options.without_kinds}
        return sorted(wanted, key=str)

    def pod_group_child(self) -> ChildResource | None:
        """The PodGroup resource of the gang scheduler in use, None when gang scheduling is off."""
        mode = self.options.gang_scheduling
        return None if mode is None else _POD_GROUPS[mode]

    async def reconcile(self, key: JobKey) -> float | None:
        """The queue's callback: the reconciler of the key's kind (bound once the API client exists)."""
        return await self.reconcilers[key.kind](key)

    def notify(self, keys: Iterable[JobKey]) -> None:
        """A child changed: reconcile its job after the coalescing window."""
        for key in keys:
            queue = self.queues.get(key.kind)
            if queue is not None:
                queue.add(key, delay=self.settings.coalesce_seconds)


def compose(settings: Settings, frameworks: Mapping[str, Framework] | None = None) -> Parts:
    """Discover (or take) the frameworks and wire the kopf registry for them."""
    found = discovery.discover(settings.enable_schemes) if frameworks is None else dict(frameworks)
    found = {scheme: configured(framework, settings) for scheme, framework in found.items()}
    registry = kopf.OperatorRegistry()
    priority_classes: dict[str, int] = {}
    parts = Parts(
        settings=settings,
        frameworks=found,
        options=engine_options(settings),
        priority_classes=priority_classes,
        registry=registry,
        store=JobStore(),
        index=Index(f.kind for f in found.values()),
        metrics=Metrics(),
    )
    for framework in found.values():
        kind = framework.kind
        queue: WorkQueue[JobKey] = WorkQueue(
            parts.reconcile,
            workers=settings.controller_threads,
            name=kind.controller_name,
            observer=parts.metrics,
        )
        parts.queues[kind.kind] = queue
        handlers.register(
            registry,
            kind=kind,
            store=parts.store,
            queue=queue,
            metrics=parts.metrics,
            coalesce=settings.coalesce_seconds,
        )
        if not settings.disable_webhooks and kind.version == "v1":  # v2beta1 MPIJob: none (C.6)
            webhooks.register(registry, framework)
    return parts


def engine_options(settings: Settings) -> EngineOptions:
    """The flags that change what the engine plans."""
    return EngineOptions(
        gang_scheduler_name=settings.gang_scheduler_name,
        cluster_domain=settings.cluster_domain,
    )


def configured(framework: Framework, settings: Settings) -> Framework:
    """The framework with the values of the flags it owns; a file flag's value is the file's text."""
    values: dict[str, Any] = {}
    for flag in framework.flags():
        value = settings.plugin_flags.get(flag.dest, flag.default)
        values[flag.dest] = _file_text(str(value)) if flag.file and value is not None else value
    return framework.configured(values)


def _file_text(path: str) -> str | None:
    """A plug-in's file flag (PyTorch's init-container template, a Go template of a YAML list) as text, read
    once at start-up. Absent is normal outside a cluster (the plug-in's built-in default is used)."""
    try:
        with open(path) as stream:
            return stream.read()
    except OSError:
        return None


def kopf_settings(settings: Settings) -> kopf.OperatorSettings:
    """kopf configured to write nothing into jobs, post no events of its own and run without peering."""
    config = kopf.OperatorSettings()
    config.persistence.progress_storage = storage.NoProgressStorage()
    config.persistence.diffbase_storage = storage.NoDiffBaseStorage()
    config.persistence.finalizer = "training-operator.kubeflow.org/never-used"
    config.posting.enabled = False
    config.peering.standalone = True
    config.peering.mandatory = False
    config.admission.managed = None
    config.admission.server = None
    if not settings.disable_webhooks:
        config.admission.server = webhooks.server(
            port=settings.webhook_server_port, cert_dir=settings.webhook_cert_dir, host=settings.webhook_host
        )
    config.watching.server_timeout = 290
    config.networking.request_timeout = 60
    return config
