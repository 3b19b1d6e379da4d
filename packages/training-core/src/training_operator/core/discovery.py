"""Installed framework plug-ins, found through the `training_operator.frameworks` entry-point group.

The only importer of importlib.metadata: the operator, the SDK, the CLI and the CRD/doc generators all ask
here, so `pip install 'training-operator[mxnet]'` is all it takes for every one of them to know MXJob.
Before a plug-in is imported, the contract it declares (`training_operator.contracts`, see `core.contract`)
must be the one this core speaks: a plug-in built for another core is refused with both versions named.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING

from training_operator.core.errors import FrameworkLoadError, UnknownScheme

if TYPE_CHECKING:  # listing what is installed (`--help`) must not import every job model
    from training_operator.core.framework import Framework

FRAMEWORKS_GROUP = "training_operator.frameworks"
#: one entry per framework, named like it, pointing at the `int` contract version the plug-in was built for
CONTRACTS_GROUP = "training_operator.contracts"


def installed() -> dict[str, EntryPoint]:
    """Entry points of every installed framework, by scheme (`tfjob`, `pytorchjob`, ...)."""
    return {ep.name: ep for ep in entry_points(group=FRAMEWORKS_GROUP)}


def discover(enabled: Collection[str] = ()) -> dict[str, Framework]:
    """The frameworks to run: all installed ones, or those `--enable-scheme` names (case-insensitive)."""
    available = installed()
    wanted = {scheme.lower() for scheme in enabled} or set(available)
    if missing := sorted(wanted - available.keys()):
        raise UnknownScheme(missing, installed=sorted(available))
    contracts = _contracts()
    return {name: _load_checked(available[name], contracts) for name in sorted(wanted)}


def loadable() -> dict[str, Framework]:
    """Every installed framework that loads, by scheme; one that does not is left out here (the operator's
    start, through `discover`, names what is wrong with it). For collecting the plug-ins' own flags."""
    found = {}
    contracts = _contracts()
    for name, entry in sorted(installed().items()):
        try:
            found[name] = _load_checked(entry, contracts)
        except FrameworkLoadError:
            continue
    return found


def _load_checked(entry: EntryPoint, contracts: _Contracts) -> Framework:
    from training_operator.core.framework import Framework

    _check_contract(entry, contracts)
    try:
        loaded = entry.load()
    except Exception as error:  # an import error inside a plug-in must name the plug-in
        raise FrameworkLoadError(
            f"framework {entry.name!r} ({entry.value}) failed to load: {error}"
        ) from error
    if not isinstance(loaded, Framework):
        raise FrameworkLoadError(
            f"framework {entry.name!r} ({entry.value}) is a {type(loaded).__name__}, not a Framework: "
            "it must be an instance of a training_operator.core.framework.Framework subclass"
        )
    if loaded.kind.scheme != entry.name:
        raise FrameworkLoadError(
            f"framework {entry.name!r} serves kind {loaded.kind.kind}; the entry point must be named "
            f"{loaded.kind.scheme!r}"
        )
    return loaded


def declared_contracts() -> list[EntryPoint]:
    """Every installed plug-in's contract declaration."""
    return list(entry_points(group=CONTRACTS_GROUP))


#: the contract declarations by (scheme, distribution name)
_Contracts = dict[tuple[str, str | None], EntryPoint]


def _contracts() -> _Contracts:
    """Every contract declaration, read once per discovery: each `entry_points` call reads the metadata of
    every installed distribution (hundreds beside torch or tensorflow), and once per plug-in made the
    operator's start read them all seven times over."""
    found: _Contracts = {}
    for declaration in declared_contracts():
        owner = declaration.dist.name if declaration.dist is not None else None
        found.setdefault((declaration.name, owner), declaration)
    return found


def _check_contract(entry: EntryPoint, contracts: _Contracts) -> None:
    from training_operator.core.__about__ import __version__
    from training_operator.core.contract import CONTRACT

    declared = _declared_contract(entry, contracts)
    if declared == CONTRACT:
        return
    built_for = (
        f"declares no core contract (entry point group {CONTRACTS_GROUP!r})"
        if declared is None
        else f"is built for core contract {declared}"
    )
    raise FrameworkLoadError(
        f"framework {entry.name!r} ({_distribution(entry)}) {built_for}, but the installed "
        f"training-operator-core {__version__} speaks contract {CONTRACT}: install a release of "
        f"{_distribution(entry, version=False)} built for contract {CONTRACT}"
    )


def _declared_contract(entry: EntryPoint, contracts: _Contracts) -> object:
    """The contract number the plug-in's own distribution declares for this scheme; None when it has none."""
    declaration = contracts.get((entry.name, entry.dist.name if entry.dist is not None else None))
    if declaration is None:
        return None
    try:
        return declaration.load()
    except Exception:  # an unreadable declaration is no declaration
        return None


def _distribution(entry: EntryPoint, *, version: bool = True) -> str:
    if entry.dist is None:
        return entry.value
    return f"{entry.dist.name} {entry.dist.version}" if version else entry.dist.name
