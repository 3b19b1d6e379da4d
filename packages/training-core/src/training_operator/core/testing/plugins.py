"""A framework plug-in installed the way pip installs one (a dist-info with entry points on sys.path), for
tests of discovery and of what the operator says about broken or incompatible plug-ins."""

from __future__ import annotations

from pathlib import Path

from training_operator.core import discovery


def install_plugin(
    root: Path, *, plugin: str, contract: int | None, name: str = "fake-spark", scheme: str = "sparkjob"
) -> str:
    """Write distribution `name` 9.0 into `root` (put `root` on sys.path): entry point `scheme` names
    `FRAMEWORK` in a module with the source `plugin`, and `contract` (None: undeclared) is its core contract.
    The module's package name is unique per `root`; returns it."""
    package = f"{name.replace('-', '_')}_{abs(hash(root))}"
    (root / package).mkdir()
    (root / package / "plugin.py").write_text(plugin)
    (root / package / "about.py").write_text(f"CORE_CONTRACT = {contract}\n")
    info = root / f"{name.replace('-', '_')}-9.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 9.0\n")
    points = f"[{discovery.FRAMEWORKS_GROUP}]\n{scheme} = {package}.plugin:FRAMEWORK\n"
    if contract is not None:
        points += f"[{discovery.CONTRACTS_GROUP}]\n{scheme} = {package}.about:CORE_CONTRACT\n"
    (info / "entry_points.txt").write_text(points)
    return package
