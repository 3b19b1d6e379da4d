"""What the job commands' shared flags mean: which cluster (`--kubeconfig`, `--context`, `-n`), `-v`
request logging, durations and condition lists, and the clients a command line asks for.

Kept apart from the command tree (jobcli) so the commands in `viewing` and `submitting` share it without
importing each other; it imports the SDK's clients only when a command makes one.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

from training_operator.core.errors import TrainingOperatorError
from training_operator.unified.sdk import errors, serverwarnings

if TYPE_CHECKING:  # the clients load with the command that talks to the cluster, not with `--help`
    from training_operator.unified.sdk.aio import AsyncTrainingClient
    from training_operator.unified.sdk.client import TrainingClient


def connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig", default=argparse.SUPPRESS, help="kubeconfig file (default: $KUBECONFIG)"
    )
    parser.add_argument("--context", default=argparse.SUPPRESS, help="kubeconfig context")


def common() -> argparse.ArgumentParser:
    """Flags every job command takes."""
    common = argparse.ArgumentParser(add_help=False)
    connection_flags(common)
    common.add_argument(
        "-n", "--namespace", default=argparse.SUPPRESS, help="namespace (default: the context's)"
    )
    common.add_argument(
        "-v", "--verbose", action="count", default=0, help="log every API request on stderr (-vv: more)"
    )
    return common


def client(args: argparse.Namespace) -> TrainingClient:
    """The sync client for the command line's kubeconfig, context and namespace."""
    _prepare(args)
    from training_operator.unified.sdk.client import TrainingClient

    found: TrainingClient = _connected(TrainingClient, args)
    return found


def async_client(args: argparse.Namespace) -> AsyncTrainingClient:
    """The async client, for commands that follow several jobs at once."""
    _prepare(args)
    from training_operator.unified.sdk.aio import AsyncTrainingClient

    found: AsyncTrainingClient = _connected(AsyncTrainingClient, args)
    return found


def _prepare(args: argparse.Namespace) -> None:
    """`-v` logging, the server's warnings as kubectl prints them, and the configuration checked before the
    client's import (no server, no HTTP stack to load)."""
    from training_operator.core import access

    _print_server_warnings()
    verbose = getattr(args, "verbose", 0)
    _VERBOSE.setFormatter(logging.Formatter("%(name)s: %(message)s" if verbose > 1 else "%(message)s"))
    # -v: the request log; -vv: everything we log (the request log reaches it by propagation)
    home = "training_operator" if verbose > 1 else "training_operator.unified.sdk.requests"
    for name, needs in (("training_operator.unified.sdk.requests", 1), ("training_operator", 2)):
        logger = logging.getLogger(name)  # set afresh each time: commands may run in one process (tests)
        logger.removeHandler(_VERBOSE)
        logger.setLevel(logging.DEBUG if verbose >= needs else logging.NOTSET)
        if name == home and verbose:
            logger.addHandler(_VERBOSE)
    try:
        access.load(getattr(args, "kubeconfig", None), context=getattr(args, "context", None))
    except TrainingOperatorError as error:
        raise errors.TrainingError(f"cannot load the cluster configuration: {error}") from None


class _Stderr(logging.Handler):
    """`-v` lines and server warnings, on whatever stderr is when they are written."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


_VERBOSE = _Stderr()
_SERVER_WARNINGS = _Stderr()
_SERVER_WARNINGS.setFormatter(logging.Formatter("Warning: %(message)s"))
# -vv prints everything we log: not the server's warnings, which are printed already
_VERBOSE.addFilter(lambda record: record.name != serverwarnings.WARNING_LOG.name)


def _print_server_warnings() -> None:
    """`Warning: <text>` on stderr for each warning the API server sends (its `Warning` headers), as kubectl
    prints them."""
    if _SERVER_WARNINGS not in serverwarnings.WARNING_LOG.handlers:
        serverwarnings.WARNING_LOG.addHandler(_SERVER_WARNINGS)


def _connected(kind: Any, args: argparse.Namespace) -> Any:
    try:
        return kind(
            config_file=getattr(args, "kubeconfig", None),
            context=getattr(args, "context", None),
            namespace=getattr(args, "namespace", None),
        )
    except TrainingOperatorError as error:  # core.access: no kubeconfig, bad context, failing plug-in
        raise errors.TrainingError(f"cannot load the cluster configuration: {error}") from None


def conditions(text: str) -> frozenset[str]:
    from training_operator.unified.sdk import jobs

    try:
        return jobs.check_expected({c.strip() for c in text.split(",") if c.strip()})
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 90s, 10m or 1h")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    return float(match.group(1)) * scale
