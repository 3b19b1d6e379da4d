"""Run inside a single-controller venv: the operator's stack is absent, and every module of the installed
training_operator packages imports (except those of an extra that is not installed).

    python library_probe.py --absent kopf kubernetes aiohttp --skip training_operator.core.kube ...

Prints how many modules it imported; exits non-zero naming the first problem. Standard library only.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path


def modules(roots: Iterable[str]) -> set[str]:
    """Every module under the namespace's folders, found on disk: a namespace sub-package has no
    `__init__.py`, which pkgutil needs to see it."""
    found = set()
    for root in map(Path, roots):
        for path in root.rglob("*.py"):
            parts = ("training_operator", *path.relative_to(root).with_suffix("").parts)
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--absent", nargs="*", default=[], help="import names that must not be installed")
    parser.add_argument("--skip", nargs="*", default=[], help="module prefixes that need an absent extra")
    args = parser.parse_args()
    present = [name for name in args.absent if importlib.util.find_spec(name) is not None]
    if present:
        print(f"installed although nothing here needs them: {', '.join(present)}", file=sys.stderr)
        return 1
    import training_operator

    imported = 0
    for name in sorted(modules(training_operator.__path__)):
        if not any(name == prefix or name.startswith(prefix + ".") for prefix in args.skip):
            importlib.import_module(name)
            imported += 1
    print(f"imported {imported} modules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
