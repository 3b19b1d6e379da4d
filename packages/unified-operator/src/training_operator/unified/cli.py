"""The `training-operator` console script: `run` (the operator), `version`, `local …`, and the job commands
when `jobcli` is installed alongside (`submit`, `get`, …).

`--help` lists the installed frameworks, since which kinds an install serves depends on its pip extras.
Every heavy import (kopf, aiohttp, pydantic models, prometheus) happens inside the command that needs it,
so `--help`, `version` and `render` start in a fraction of a second (bench/cli_startup.py).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from training_operator.core import discovery
from training_operator.core.errors import TrainingOperatorError
from training_operator.unified import __about__, localcli, settings
from training_operator.unified.dashboard import command as dashboard

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    jobcli = _jobcli()
    if jobcli is not None and jobcli.runs_a_job(words):  # `run --image …`: a training job, not the operator
        parser = jobcli.run_parser()
        args = parser.parse_args(words[1:])
    else:
        parser = build_parser()
        args = parser.parse_args(_flags_first(words))
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code: int = args.func(args)
    except TrainingOperatorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


def _flags_first(argv: list[str]) -> list[str]:
    """Deployments patched the upstream way insert flags right after the command (`command[1]`):
    `training-operator --leader-elect run` and `training-operator --leader-elect` both mean `run`."""
    if not argv or not argv[0].startswith("--") or argv[0] in ("--help", "-h"):
        return argv
    return ["run", *(arg for arg in argv if arg != "run")]


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree."""
    installed = ", ".join(discovery.installed()) or "none (pip install 'training-operator[all]')"
    parser = argparse.ArgumentParser(
        prog="training-operator",
        description="Kubeflow-compatible operator for distributed training jobs.",
        epilog=f"installed frameworks: {installed}",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    run = commands.add_parser(
        "run",
        help="run the operator (with --image: start a training job)",
        description="Run the operator. With --image, start a training job instead (run --image X --help).",
    )
    settings.add_flags(run)
    run.set_defaults(func=_run)
    version = commands.add_parser("version", help="print versions of the operator and installed frameworks")
    version.set_defaults(func=_version)
    localcli.register(commands)
    dashboard.register(commands)
    _register_job_commands(commands)
    return parser


def _register_job_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The SDK's job commands, if that module is part of this install."""
    jobcli = _jobcli()
    if jobcli is not None:
        jobcli.register(commands)


def _jobcli() -> Any:
    try:
        return importlib.import_module("training_operator.unified.jobcli")
    except ImportError:
        return None


def _version(_: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    print(f"training-operator {__about__.__version__}")
    for scheme, entry in sorted(discovery.installed().items()):
        dist = entry.dist.name if entry.dist is not None else "?"
        try:
            number = version(dist)
        except PackageNotFoundError:
            number = "?"
        print(f"  {scheme:<12} {dist} {number}")
    return 0


def _process_collectors(registry: CollectorRegistry) -> None:
    """Process and Python runtime metrics (C.9), and no `_created` series next to the upstream counters."""
    import prometheus_client

    prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
    prometheus_client.ProcessCollector(registry=registry)
    prometheus_client.PlatformCollector(registry=registry)
    prometheus_client.GCCollector(registry=registry)


def _run(args: argparse.Namespace) -> int:
    import asyncio

    from training_operator.core import access as access_source
    from training_operator.unified import collector, composition, eventloop, logconfig, preflight, runtime

    config = settings.from_args(args)
    try:
        access = access_source.load(config.kubeconfig, context=config.context)
    except TrainingOperatorError as error:
        print(f"error: cannot find the cluster's address and credentials: {error}", file=sys.stderr)
        return 2
    logconfig.configure(json_logs=config.json_logs, level=config.log_level)
    for flag in config.ignored:
        log.warning("flag --%s is accepted for compatibility and ignored", flag.replace("_", "-"))
    parts = composition.compose(config)
    _process_collectors(parts.metrics.registry)
    collector.settle()

    async def serve() -> None:
        stop = asyncio.Event()
        runtime.handle_signals(stop)
        await runtime.run(parts, stop=stop, access=access, signals=True)

    try:
        eventloop.run(serve(), choice=config.event_loop)
    except runtime.LostLeadership as error:
        log.error("%s: exiting so that only the new leader writes", error)
        return 1
    except runtime.MissingCrd as error:
        log.error("%s", error)
        return 1
    except preflight.Refused as error:
        print(f"error: {error}", file=sys.stderr)  # one line, no traceback: what to fix is in it
        return 1
    return 0
