"""Build hook: bundle the dashboard's chart library (Chart.js) with the package, fetched at build time.

The dashboard draws its pods-over-time chart with Chart.js (MIT, chartjs.org). We never commit other projects'
code, so the pinned release is fetched with the npm client (`npm pack`) when a wheel, an editable install or
an sdist is built, checked against the sha512 the registry publishes for it, and unpacked next to our own
static files (a git-ignored folder). Users never run a JavaScript build: the wheel carries the file, and so
does an sdist, so installing from an sdist needs no network.

Building from a source checkout without network or npm: point TRAINING_OPERATOR_CHARTJS_TARBALL at a copy of
`chart.js-<version>.tgz` (the same sha512 is checked), or the build goes on without it and the dashboard
serves its pages with a note where the chart would be.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

VERSION = "4.5.1"
PACKAGE = f"chart.js@{VERSION}"
#: `dist.integrity` of chart.js 4.5.1 in the npm registry
INTEGRITY = "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw=="
VENDOR = Path("src/training_operator/unified/dashboard/static/vendor")
#: file in the npm package → file we serve (the licence travels with the code, as MIT asks)
FILES = {"package/dist/chart.umd.min.js": "chart.umd.min.js", "package/LICENSE.md": "chart.js.LICENSE.md"}
STAMP = "chart.js.version"
OVERRIDE = "TRAINING_OPERATOR_CHARTJS_TARBALL"


class ChartLibraryHook(BuildHookInterface):  # type: ignore[misc]
    """Makes sure the vendor folder holds the pinned Chart.js before the files are collected."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Fetch (once) and include the chart library; warn, never fail, when it cannot be had."""
        folder = Path(self.root) / VENDOR
        if not _present(folder):
            try:
                _unpack(_tarball(), folder)
            except (OSError, ValueError, tarfile.TarError) as error:
                print(
                    f"warning: the dashboard's chart library (Chart.js {VERSION}) is not bundled: {error}. "
                    f"The dashboard will show no pod chart; set {OVERRIDE} to a downloaded "
                    f"chart.js-{VERSION}.tgz, or build with network access.",
                    file=sys.stderr,
                )
                return
        build_data.setdefault("artifacts", []).append(f"/{VENDOR.as_posix()}/*")


def _present(folder: Path) -> bool:
    stamp = folder / STAMP
    return (
        stamp.is_file()
        and stamp.read_text().strip() == VERSION
        and all((folder / n).is_file() for n in FILES.values())
    )


def _tarball() -> bytes:
    override = os.environ.get(OVERRIDE)
    data = Path(override).read_bytes() if override else _npm_pack()
    algorithm, _, expected = INTEGRITY.partition("-")
    if base64.b64encode(hashlib.new(algorithm, data).digest()).decode() != expected:
        raise ValueError(f"chart.js-{VERSION}.tgz does not match the registry's {algorithm}")
    return data


def _npm_pack() -> bytes:
    """The package's tarball as the npm client downloads it (the registry npm is configured for)."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            done = subprocess.run(
                ["npm", "pack", PACKAGE, "--pack-destination", folder, "--silent"],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise OSError(f"npm pack {PACKAGE}: {error}") from error
        if done.returncode != 0:
            raise OSError(f"npm pack {PACKAGE} failed: {done.stderr.strip()[-300:]}")
        tarballs = list(Path(folder).glob("*.tgz"))
        if len(tarballs) != 1:
            raise OSError(f"npm pack {PACKAGE} left {len(tarballs)} tarballs")
        return tarballs[0].read_bytes()


def _unpack(data: bytes, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member, target in FILES.items():
            source = archive.extractfile(member)
            if source is None:
                raise ValueError(f"{member} missing from chart.js-{VERSION}.tgz")
            (folder / target).write_bytes(source.read())
    (folder / STAMP).write_text(VERSION + "\n")
