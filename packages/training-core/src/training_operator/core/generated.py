"""Files generated from the installed frameworks' models (CRDs, kind reference pages): write them, or with
`--check` report the ones that drifted, so CI can insist the committed copies match the code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from training_operator.core.framework import Framework, KindInfo


def main(
    argv: list[str] | None,
    *,
    description: str,
    what: str,
    module: str,
    render: Callable[[Framework], str],
    file_name: Callable[[KindInfo], str],
) -> int:
    """Write (or with --check, compare) one file per installed framework; 1 when any drifted."""
    from training_operator.core import discovery  # the operator's loader; local import keeps callers light

    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=description, formatter_class=formatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check", action="store_true", help=f"fail if the {what} differ from the models")
    args = parser.parse_args(argv)
    drift = []
    for framework in discovery.discover().values():
        path = args.out / file_name(framework.kind)
        text = render(framework)
        if args.check:
            if not path.exists() or path.read_text() != text:
                drift.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if drift:
        print(f"{what} differ from the models; regenerate with", file=sys.stderr)
        print(f"  python -m {module} --out {args.out}", file=sys.stderr)
        print("\n".join(f"  {p}" for p in drift), file=sys.stderr)
        return 1
    return 0
