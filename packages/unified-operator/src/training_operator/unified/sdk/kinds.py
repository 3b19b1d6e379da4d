"""The kind registry: kind name → where it lives in the API and how its pods are labelled.

The SDK must work with only `training-operator` installed (a laptop talking to a remote cluster), so
Kubeflow's kinds are built in; when a framework package is installed its `KindInfo` and model replace the
built-in entry, so a third-party kind (found through the `training_operator.frameworks` entry points) is
addressable too.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from training_operator.core import labels
from training_operator.core.api.job import JobModel
from training_operator.unified.sdk.errors import UnknownKind


@dataclass(frozen=True, slots=True)
class KindRef:
    """One job kind as the SDK addresses it."""

    kind: str
    group: str
    version: str
    plural: str
    #: the container whose log `get_job_logs` reads; None = the pod's only/first container (MPIJob)
    default_container: str | None
    #: `job-role` label value of the pods `is_master=True` selects (MPIJob v2beta1 marks its launcher)
    master_role: str = labels.JOB_ROLE_MASTER
    aliases: tuple[str, ...] = ()
    #: the label a `replica_type` filter matches; MPIJob v2beta1 has no replica-type label, only job-role
    replica_type_label: str = labels.REPLICA_TYPE
    #: the framework package's model when installed; None means jobs come back as core's generic JobModel
    model: type[JobModel] | None = None
    #: the installed Framework plug-in (needed by `render`), None when only the built-in entry is known
    framework: Any = None

    @property
    def api_version(self) -> str:
        """`group/version` as written in a job's `apiVersion`."""
        return f"{self.group}/{self.version}"


_BUILTIN = (
    KindRef("TFJob", "kubeflow.org", "v1", "tfjobs", "tensorflow", aliases=("tf", "tensorflow")),
    KindRef("PyTorchJob", "kubeflow.org", "v1", "pytorchjobs", "pytorch", aliases=("pytorch", "pt")),
    KindRef("MXJob", "kubeflow.org", "v1", "mxjobs", "mxnet", aliases=("mxnet", "mx")),
    KindRef("XGBoostJob", "kubeflow.org", "v1", "xgboostjobs", "xgboost", aliases=("xgboost", "xgb")),
    KindRef("JAXJob", "kubeflow.org", "v1", "jaxjobs", "jax", aliases=("jax",)),
    # Kubeflow's SDK calls MPIJob at v1; we serve only v2beta1 (spec sdk-and-ops.md A.9-12)
    KindRef(
        "MPIJob",
        "kubeflow.org",
        "v2beta1",
        "mpijobs",
        None,
        master_role=labels.JOB_ROLE_LAUNCHER,
        aliases=("mpi",),
        replica_type_label=labels.JOB_ROLE,
    ),
    KindRef("PaddleJob", "kubeflow.org", "v1", "paddlejobs", "paddle", aliases=("paddle", "pd")),
)

_BUILTIN_BY_KIND = {ref.kind: ref for ref in _BUILTIN}


@functools.cache
def registry() -> Mapping[str, KindRef]:
    """Every known kind by its canonical name: the built-ins, overridden by installed frameworks."""
    kinds = dict(_BUILTIN_BY_KIND)
    for framework in _installed_frameworks():
        kinds[framework.kind.kind] = _merged(kinds.get(framework.kind.kind), framework)
    return kinds


def _merged(base: KindRef | None, framework: Any) -> KindRef:
    info = framework.kind
    base = base or KindRef(info.kind, info.group, info.version, info.plural, None)
    return replace(
        base,
        group=info.group,
        version=info.version,
        plural=info.plural,
        default_container=info.default_container or base.default_container,
        aliases=(*base.aliases, *info.short_names),
        model=framework.model,
        framework=framework,
    )


def _installed_frameworks(schemes: tuple[str, ...] = ()) -> list[Any]:
    """Installed plug-ins (those of `schemes` only, when given); none when a plug-in is broken or missing
    (the SDK still works: built-ins cover the six kinds)."""
    try:
        discovery = importlib.import_module("training_operator.core.discovery")
        return list(discovery.discover(schemes).values())
    except Exception:  # a broken plug-in must not take the client down
        return []


@functools.cache
def _builtin(ref: KindRef) -> KindRef:
    """A built-in kind with its framework package, loading only that one (a PyTorchJob command does not
    pay for MPI's SSH key machinery)."""
    found = _installed_frameworks((ref.kind.lower(),))
    return _merged(ref, found[0]) if found else ref


def known_kinds() -> list[str]:
    """Canonical kind names, sorted, for messages and `get` without a kind."""
    return sorted(registry())


def spellings(ref: KindRef) -> list[str]:
    """Every lower-case name `resolve` accepts for `ref`: kind, plural, kind without "job", aliases."""
    names = (ref.kind, ref.plural, ref.kind.lower().removesuffix("job"), *ref.aliases)
    return list(dict.fromkeys(name.lower() for name in names))


def all_spellings() -> list[str]:
    """Every spelling of every known kind (built-in and installed), for shell completion."""
    return list(dict.fromkeys(name for ref in registry().values() for name in spellings(ref)))


def resolve(name: str) -> KindRef:
    """The kind for `name`, case-insensitive, also as plural, singular or short form (`tfjobs`, `tf`)."""
    wanted = name.strip().lower()
    for ref in _BUILTIN:
        if wanted in spellings(ref):
            return _builtin(ref)
    for ref in registry().values():
        if wanted in spellings(ref):
            return ref
    raise UnknownKind(name, known_kinds())


def for_body(body: Mapping[str, Any]) -> KindRef:
    """The kind a manifest declares; its `apiVersion` must match what we serve (MPIJob v1 is refused)."""
    kind = body.get("kind")
    if not isinstance(kind, str) or not kind:
        raise UnknownKind(str(kind), known_kinds())
    ref = resolve(kind)
    api_version = body.get("apiVersion")
    if api_version not in (None, ref.api_version):
        raise ValueError(f"{ref.kind} apiVersion {api_version!r} is not served; use {ref.api_version!r}")
    return ref
