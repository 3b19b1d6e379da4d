"""The install matrix: every way the project promises to be installed, each in a fresh venv, each used.

    hatch run python tests/install/matrix.py [--parallel N] [--only NAME ...] [--keep]

Cells (tests/install/checks.py says what each must do):
- the operator, `pip install training-operator[<extras>]`: each framework extra alone, `tf,pytorch`, none,
  `local` and `all`; installed with uv from one build of every wheel;
- each controller alone as a library (`pip install ./packages/<x>-controller`), with its README's snippet;
- the image: `image/install.sh` (what the Dockerfile runs) for CONTROLLERS=all and a subset, with pip.
One local cluster, hosted by the `local` cell's venv, serves every operator; the cells run in parallel. Prints
one line per cell and the installed size of each venv; exits 1 when any cell fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tomllib
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from checks import Cell, check_library, check_operator
from cluster import Cluster
from venvs import (
    ROOT,
    Wheels,
    build_wheels,
    distributions,
    image_install,
    installed_size,
    sibling_extras,
    uv_install,
)

OPERATOR_CELLS = [
    Cell(("tf",)),
    Cell(("pytorch",)),
    Cell(("mxnet",)),
    Cell(("xgboost",)),
    Cell(("mpi",)),
    Cell(("jax",)),
    Cell(("tf", "pytorch")),
    Cell(()),
    Cell(("local",)),
    Cell(("all",)),
]
LIBRARY_CELLS = [
    Cell((extra,), "library") for extra in ("tf", "pytorch", "mxnet", "xgboost", "mpi", "paddle", "jax")
]
IMAGE_CELLS = [Cell(("all",), "image"), Cell(("pytorch", "tf"), "image")]
CELLS = [*OPERATOR_CELLS, *LIBRARY_CELLS, *IMAGE_CELLS]
HOST = Cell(("local",))  # its venv runs the cluster


class Matrix:
    """The cells' venvs and results under one work directory."""

    def __init__(self, work: Path, cells: list[Cell], parallel: int) -> None:
        self.work, self.cells, self.parallel = work, cells, parallel
        self.log = work / "matrix.log"
        self.results: dict[str, tuple[bool, str]] = {}
        self.timings: dict[str, float] = {}
        #: bytes of each venv right after its install (running code later adds bytecode caches)
        self.sizes: dict[str, int] = {}

    def folder(self, cell: Cell) -> Path:
        path = self.work / "cells" / cell.namespace
        path.mkdir(parents=True, exist_ok=True)
        return path

    def venv(self, cell: Cell) -> Path:
        return self.folder(cell) / "venv"

    def each(self, step: str, action: Callable[[Cell], str | None], cells: list[Cell]) -> None:
        """Run `action` for every cell still passing, `parallel` at a time; record failures."""

        def guarded(cell: Cell) -> None:
            started = time.monotonic()
            try:
                note = action(cell)
            except Exception as error:  # one cell's failure must not hide the others'
                detail = "".join(traceback.format_exception_only(error)).strip()
                self.results[cell.name] = (False, f"{step}: {detail}")
            else:
                if note is not None:
                    self.results[cell.name] = (True, note)
            self.timings[f"{step} {cell.name}"] = time.monotonic() - started

        live = [c for c in cells if self.results.get(c.name, (True, ""))[0]]
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            list(pool.map(guarded, live))

    def install(self, cell: Cell, wheels: Wheels) -> None:
        log = self.folder(cell) / "install.log"
        if cell.installer == "image":
            image_install(self.venv(cell), ",".join(cell.extras), log=log)
        elif cell.installer == "library":
            controller = ROOT / "packages" / f"{cell.extras[0]}-controller"
            overrides = wheels.overrides_keeping(
                sibling_extras(controller), self.folder(cell) / "overrides.txt"
            )
            requirement = wheels.requirement(f"training-operator-{cell.extras[0]}")
            uv_install(self.venv(cell), requirement, wheels, log=log, overrides=overrides)
        else:
            # the operator asks for training-operator-core[kube]: its overrides must keep that extra
            operator = ROOT / "packages" / "unified-operator"
            overrides = wheels.overrides_keeping(
                sibling_extras(operator), self.folder(cell) / "overrides.txt"
            )
            requirement = wheels.requirement("training-operator", cell.extras)
            uv_install(self.venv(cell), requirement, wheels, log=log, overrides=overrides)
        (self.folder(cell) / "installed.txt").write_text("\n".join(distributions(self.venv(cell), log=log)))
        self.sizes[cell.name] = installed_size(self.venv(cell))

    def check(self, cell: Cell, cluster: Cluster) -> str:
        if cell.installer == "library":
            renderer = self.venv(Cell(cell.extras))
            return check_library(cell, self.venv(cell), renderer, self.folder(cell), core_extra_modules())
        note = check_operator(cell, self.venv(cell), cluster, self.folder(cell))
        if cell.installer == "image":
            assert not list(self.venv(cell).glob("lib/*/site-packages/training_operator/local")), (
                "local in image"
            )
        return note


def core_extra_modules() -> list[str]:
    """Modules of core that need an extra (its pyproject's `tool.training-operator.extra-modules`)."""
    data = tomllib.loads((ROOT / "packages" / "training-core" / "pyproject.toml").read_text())
    return [m for modules in data["tool"]["training-operator"]["extra-modules"].values() for m in modules]


def report(matrix: Matrix) -> bool:
    """One line per cell with its venv's installed size; True when every cell passed."""
    print(f"\n{'cell':<22} {'result':<6} {'size':>9}  what was checked (size: the venv as installed)")
    passed = True
    for cell in matrix.cells:
        ok, note = matrix.results.get(cell.name, (False, "not run"))
        passed &= ok
        size = f"{matrix.sizes[cell.name] / 2**20:.1f} MiB" if cell.name in matrix.sizes else "-"
        print(f"{cell.name:<22} {'ok' if ok else 'FAILED':<6} {size:>9}  {note}")
    slowest = sorted(matrix.timings.items(), key=lambda item: -item[1])[:3]
    print("slowest steps: " + ", ".join(f"{name} {seconds:.0f}s" for name, seconds in slowest))
    return passed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parallel", type=int, default=3, help="cells at a time (default 3)")
    parser.add_argument("--only", nargs="*", help="cell names (e.g. tf library:tf image:all)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    cells = [c for c in CELLS if not args.only or c.name in args.only]
    work = Path(tempfile.mkdtemp(prefix="install-matrix-"))
    matrix = Matrix(work, cells, args.parallel)
    started = time.monotonic()
    try:
        run_matrix(matrix, cells)
        passed = report(matrix)
    finally:
        if args.keep or not matrix.results or not all(ok for ok, _ in matrix.results.values()):
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    count = sum(1 for cell in cells if matrix.results.get(cell.name, (False, ""))[0])
    print(f"install matrix: {count} passed, {len(cells) - count} failed in {time.monotonic() - started:.0f}s")
    return 0 if passed else 1


def run_matrix(matrix: Matrix, cells: list[Cell]) -> None:
    """Build, install every cell (plus the cluster's host and the renderers the library cells compare with),
    start the cluster, check every cell, stop the cluster."""
    started = time.monotonic()
    wheels = build_wheels(matrix.work / "wheels", matrix.log)
    print(f"== built {len(wheels.by_name)} wheels once in {time.monotonic() - started:.0f}s", flush=True)
    helpers = [HOST, *(Cell(c.extras) for c in cells if c.installer == "library")]
    to_install = list({c.name: c for c in [*cells, *helpers]}.values())
    to_install.sort(key=lambda cell: cell.installer != "image")  # pip from source: the longest, start first
    started = time.monotonic()
    matrix.each("install", lambda cell: matrix.install(cell, wheels), to_install)
    print(f"== installed {len(to_install)} fresh venvs in {time.monotonic() - started:.0f}s", flush=True)
    host = matrix.results.get(HOST.name)
    if host is not None and not host[0]:
        raise SystemExit(f"the local cluster's venv did not install: {host[1]}")
    cluster = Cluster(matrix.venv(HOST), matrix.work / "cluster", matrix.log)
    try:
        cluster.start()
        matrix.each("check", lambda cell: matrix.check(cell, cluster), cells)
    finally:
        started = time.monotonic()
        cluster.stop()
        print(f"== stopped the cluster in {time.monotonic() - started:.0f}s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
