"""Fresh virtual environments for the install matrix, all from one build of every package's wheel.

uv installs each cell in about a second: the wheels are built once, and an overrides file points every one
of our requirements (`training-operator-core @ file://.../packages/training-core` in the operator's metadata)
at its prebuilt wheel. The image cells instead run `image/install.sh`, which is what the Dockerfile runs: pip,
from the source tree, exactly as the image is built.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(p.parent for p in (ROOT / "packages").glob("*/pyproject.toml"))
OPERATOR = "training-operator"


@dataclass(frozen=True)
class Wheels:
    """Every package's wheel, by distribution name, and the overrides file that points at them."""

    by_name: dict[str, Path]
    overrides: Path

    def requirement(self, name: str, extras: tuple[str, ...] = ()) -> str:
        """`name[extras] @ file:///…whl`: install this distribution from its built wheel."""
        wanted = f"[{','.join(extras)}]" if extras else ""
        return f"{name}{wanted} @ {self.by_name[name].as_uri()}"

    def overrides_keeping(self, extras: dict[str, tuple[str, ...]], path: Path) -> Path:
        """An overrides file like `overrides`, but whose lines keep the extras a package requests of its
        siblings (`training-operator-core[ssh]`): an override replaces the whole requirement, extras too."""
        lines = [
            self.requirement(name, extras.get(name, ())) for name in sorted(self.by_name) if name != OPERATOR
        ]
        path.write_text("\n".join(lines) + "\n")
        return path


def sibling_extras(folder: Path) -> dict[str, tuple[str, ...]]:
    """The extras a package's dependencies request of our other packages: {name: extras}."""
    found: dict[str, tuple[str, ...]] = {}
    for text in tomllib.loads((folder / "pyproject.toml").read_text())["project"].get("dependencies", []):
        match = re.match(r"(training-operator(?:-[a-z]+)?)\[([^\]]+)\]", text)
        if match:
            found[match.group(1)] = tuple(sorted(e.strip() for e in match.group(2).split(",")))
    return found


def run(command: list[str], *, log: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    """Run a command, appending its output to `log`; raise with the log's tail when it fails."""
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
        out.write(done.stdout)
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise RuntimeError(f"{command[0]} {' '.join(command[1:3])} … exited {done.returncode}:\n{tail}")
    return done.stdout


def build_wheels(out: Path, log: Path) -> Wheels:
    """One wheel per package (two builds at a time: the machine has two cores)."""
    out.mkdir(parents=True, exist_ok=True)

    def build(folder: Path) -> None:
        run(["uv", "build", "-q", "--wheel", "--out-dir", str(out), str(folder)], log=log, timeout=300)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(build, PACKAGES))
    by_name = {}
    for wheel in out.glob("*.whl"):
        stem = wheel.name.split("-")[0]
        by_name[stem.replace("_", "-")] = wheel
    overrides = out / "overrides.txt"
    lines = [f"{name} @ {path.as_uri()}" for name, path in sorted(by_name.items()) if name != OPERATOR]
    overrides.write_text("\n".join(lines) + "\n")
    return Wheels(by_name, overrides)


def fresh_venv(path: Path, *, log: Path) -> Path:
    """An empty venv of this interpreter's Python; returns its python."""
    run(["uv", "venv", "-q", "--python", sys.executable, str(path)], log=log, timeout=120)
    return path / "bin" / "python"


def uv_install(
    venv: Path, requirement: str, wheels: Wheels, *, log: Path, overrides: Path | None = None
) -> float:
    """Install one requirement (and what it pulls in) into a fresh venv; returns the seconds it took."""
    started = time.monotonic()
    python = fresh_venv(venv, log=log)
    chosen = overrides or wheels.overrides
    command = ["uv", "pip", "install", "-q", "--python", str(python), "--override", str(chosen)]
    run([*command, requirement], log=log, timeout=600)
    return time.monotonic() - started


def image_install(venv: Path, controllers: str, *, log: Path) -> float:
    """The Dockerfile's install step, as the Dockerfile runs it."""
    started = time.monotonic()
    script = ROOT / "image" / "install.sh"
    run(["sh", str(script), str(venv), controllers], log=log, timeout=900, env={"PYTHON": sys.executable})
    return time.monotonic() - started


def installed_size(venv: Path) -> int:
    """Bytes of every file in the venv (apparent sizes: what the user's disk holds)."""
    total = 0
    for folder, _, files in os.walk(venv):
        for name in files:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def distributions(venv: Path, *, log: Path) -> list[str]:
    """`name==version` of everything installed in the venv."""
    command = ["uv", "pip", "list", "-q", "--format=freeze", "--python", str(venv / "bin" / "python")]
    return [line for line in run(command, log=log, timeout=60).splitlines() if "==" in line]
