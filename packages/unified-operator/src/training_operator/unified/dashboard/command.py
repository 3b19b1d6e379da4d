"""`training-operator dashboard`: its flags, and running the server in the foreground until Ctrl-C.

Imports nothing heavy: the CLI registers this command on every start, and the server (aiohttp, the kind
registry, the watches) is imported only when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

DEFAULT_PORT = 8765


def register(commands: Any) -> None:
    """Add `dashboard` to the CLI."""
    parser = commands.add_parser(
        "dashboard",
        help="serve a live, read-only web view of the jobs, their pods and logs",
        description=(
            "Serve a live, read-only web view of every job the kubeconfig's user can list, on 127.0.0.1 "
            "with a random access token in the printed link. Works with any cluster."
        ),
    )
    parser.add_argument("--kubeconfig", default=None, help="default: $KUBECONFIG, then ~/.kube/config")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    parser.add_argument(
        "-n", "--namespace", default=None, help="only this namespace (default: all you can list)"
    )
    parser.add_argument(
        "--address",
        default=None,
        help="listen here (default 127.0.0.1); any non-loopback address lets other machines reach it",
    )
    parser.add_argument(
        "--port", type=int, default=None, help=f"default {DEFAULT_PORT}, or any free port if taken"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM."""
    import asyncio

    from training_operator.core import access
    from training_operator.core.errors import AccessError
    from training_operator.unified import logconfig
    from training_operator.unified.dashboard import server

    logconfig.configure(json_logs=False, level="warn")
    try:
        access.load(args.kubeconfig, context=args.context)
    except (OSError, ValueError, KeyError, AccessError) as error:
        print(f"error: cannot find the cluster's address and credentials: {error}", file=sys.stderr)
        return 2
    host = args.address or server.LOOPBACK
    try:
        return asyncio.run(_serve(args, host))
    except OSError as error:
        print(f"error: cannot listen on {host}: {error}", file=sys.stderr)
        return 2


async def _serve(args: argparse.Namespace, host: str) -> int:
    import asyncio
    import errno
    import signal

    from training_operator.unified.dashboard import server

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    ports = [args.port] if args.port is not None else [DEFAULT_PORT, 0]
    for number, port in enumerate(ports):
        options = {"kubeconfig": args.kubeconfig, "context": args.context, "namespace": args.namespace}
        try:
            async with server.serving(host=host, port=port, **options) as dashboard:
                announce(dashboard, exposed=not server.is_loopback(host))
                await stop.wait()
                return 0
        except OSError as error:
            if error.errno != errno.EADDRINUSE or number + 1 == len(ports):
                raise
    return 0


def announce(dashboard: Any, *, exposed: bool) -> None:
    """The link, and what it shows."""
    print(f"dashboard of {dashboard.server}: {dashboard.url}", flush=True)
    if exposed:
        print(
            f"warning: listening on {dashboard.host}, reachable from other machines: anyone with the link "
            "can read every job, pod and log these credentials can",
            file=sys.stderr,
            flush=True,
        )
