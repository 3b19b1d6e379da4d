"""Installed framework plug-ins, found through the `training_operator.frameworks` entry-point group.

The only importer of importlib.metadata: the operator, the SDK, the CLI and the CRD/doc generators all ask
here, so `pip install 'training-operator[mxnet]'` is all it takes for every one of them to know MXJob.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from training_operator.core.errors import FrameworkLoadError, UnknownScheme

if TYPE_CHECKING:  # listing what is installed (`--help`) must not import every job model
    from training_operator.core.framework import Framework

FRAMEWORKS_GROUP = "training_operator.frameworks"


def installed() -> dict[str, EntryPoint]:
    """Entry points of every installed framework, by scheme (`tfjob`, `pytorchjob`, ...)."""
    return {ep.name: ep for ep in entry_points(group=FRAMEWORKS_GROUP)}


def discover(enabled: Collection[str] = ()) -> dict[str, Framework]:
    """The frameworks to run: all installed ones, or those `--enable-scheme` names (case-insensitive)."""
    available = installed()
    wanted = {scheme.lower() for scheme in enabled} or set(available)
    if missing := sorted(wanted - available.keys()):
        raise UnknownScheme(missing, installed=sorted(available))
    return {name: _load_checked(available[name]) for name in sorted(wanted)}


def _load_checked(entry: EntryPoint) -> Framework:
    from training_operator.core.framework import Framework

    try:
        loaded = entry.load()
    except Exception as error:  # an import error inside a plug-in must name the plug-in
        raise FrameworkLoadError(
            f"framework {entry.name!r} ({entry.value}) failed to load: {error}"
        ) from error
    if not isinstance(loaded, Framework):
        raise FrameworkLoadError(
            f"framework {entry.name!r} ({entry.value}) is a {type(loaded).__name__}, not a Framework: "
            "it must provide kind, model, parse, default, problems and plan"
        )
    if loaded.kind.scheme != entry.name:
        raise FrameworkLoadError(
            f"framework {entry.name!r} serves kind {loaded.kind.kind}; the entry point must be named "
            f"{loaded.kind.scheme!r}"
        )
    return loaded
