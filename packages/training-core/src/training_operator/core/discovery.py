"""Installed frameworks, found through the `training_operator.frameworks` entry-point group.

The only importer of `importlib.metadata`: the operator, the CRD generator and the CLI all ask here, so
`--enable-scheme` means the same thing everywhere and a missing extra is always named the same way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from importlib.metadata import EntryPoint, entry_points

from training_operator.core.errors import FrameworkLoadError, UnknownScheme
from training_operator.core.framework import Framework

FRAMEWORKS_GROUP = "training_operator.frameworks"


def installed_schemes() -> list[str]:
    """Entry names of every installed framework, sorted, without importing any of them."""
    return sorted({ep.name.lower() for ep in entry_points(group=FRAMEWORKS_GROUP)})


def discover(
    enabled: Collection[str] = (), *, installed: Iterable[EntryPoint] | None = None
) -> dict[str, Framework]:
    """`{scheme: Framework}` for the enabled schemes (all installed ones when `enabled` is empty).

    Matching is case-insensitive, as Kubeflow's `--enable-scheme` is; an unknown scheme raises
    `UnknownScheme` naming the pip extra that provides it.
    """
    points = {ep.name.lower(): ep for ep in (entry_points(group=FRAMEWORKS_GROUP) if installed is None else installed)}
    wanted = {scheme.lower() for scheme in enabled} or set(points)
    if missing := sorted(wanted - points.keys()):
        raise UnknownScheme(missing, installed=sorted(points))
    return {scheme: load_checked(points[scheme]) for scheme in sorted(wanted)}


def load_checked(point: EntryPoint) -> Framework:
    """Import one entry point and prove that it names a Framework serving the kind of its entry name."""
    try:
        loaded = point.load()
    except Exception as error:  # any import failure of a plug-in is that plug-in's load error
        raise FrameworkLoadError(f"framework {point.name!r} ({point.value}) cannot be imported: {error}") from error
    if isinstance(loaded, type) or not isinstance(loaded, Framework):
        raise FrameworkLoadError(
            f"framework {point.name!r} ({point.value}) is not a Framework object "
            "(it needs kind, model, parse, default, problems and plan)"
        )
    if loaded.kind.scheme != point.name.lower():
        raise FrameworkLoadError(
            f"framework {point.name!r} ({point.value}) serves {loaded.kind.kind}, "
            f"but its entry point must then be named {loaded.kind.scheme!r}"
        )
    return loaded
