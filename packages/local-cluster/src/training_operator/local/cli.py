"""`training-operator-local up|down|status|kubeconfig`: the local cluster on its own.

`up` runs in the foreground until SIGINT/SIGTERM; `down` stops the process recorded in the state dir.
The unified operator's `training-operator local ...` commands build on `daemon.ensure_running` instead.
"""

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from training_operator.local import daemon, statelock
from training_operator.local.cluster import LocalCluster, default_state_dir
from training_operator.local.journal import JournalDamaged


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="training-operator-local", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the local cluster in the foreground")
    up.add_argument(
        "--port", type=int, default=0, help="API port on 127.0.0.1 (0: the last one used, else any)"
    )
    up.add_argument(
        "--network",
        choices=("auto", "namespaces", "loopback"),
        default="auto",
        help="pod networking: per-pod namespaces (root) or the degraded loopback mode",
    )
    up.add_argument("--log-level", default="INFO")
    for name in ("up", "down", "status", "kubeconfig"):
        target = up if name == "up" else sub.add_parser(name)
        target.add_argument(
            "--state-dir",
            type=Path,
            default=None,
            help="default: $TRAINING_OPERATOR_LOCAL_DIR or ~/.training-operator/local",
        )
    return parser


#: young objects allocated before a collection (CPython's default is 700); see `_settle_garbage_collector`
GC_YOUNG_THRESHOLD = 10_000


def _settle_garbage_collector() -> None:
    """Take the stored objects just loaded out of the collector's sight, and collect the youngest
    generation after 10,000 allocations instead of 700. A pod create allocates hundreds of short-lived dicts
    and lists that reference counting frees without help, yet every 700 of them started a collection, and
    the older generations' collections walked every stored object: over 8,000 creates the collector took
    0.15 s of the server's CPU, ~0.019 ms a create (8 %); settled, 0.04 s. Cycles are still collected, a
    little later. Only the cluster's own process does this: a test embedding the cluster keeps the
    defaults."""
    import gc

    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


async def _up(state_dir: Path, port: int, network: str) -> None:
    port_file = state_dir / "port"
    if port == 0 and port_file.exists():
        port = int(port_file.read_text().strip() or 0)
    cluster = LocalCluster(state_dir, port=port, network=network)
    try:
        await cluster.start()
    except OSError:
        # The remembered port is taken: any free port will do, the kubeconfig says which.
        await cluster.stop()
        cluster = LocalCluster(state_dir, port=0, network=network)
        await cluster.start()
    _settle_garbage_collector()
    port_file.write_text(str(cluster.port))
    daemon.write_pid_file(state_dir, cluster.url)
    print(
        f"local cluster at {cluster.url}\n  export KUBECONFIG={cluster.kubeconfig_path}\n  kubectl "
        f"get pods -A",
        flush=True,
    )
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    try:
        await stopped.wait()
    finally:
        daemon.remove_pid_file(state_dir)
        await cluster.stop()


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    args = _parser().parse_args(argv)
    state_dir = args.state_dir or default_state_dir()
    if args.command == "up":
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        found = daemon.is_running(state_dir)
        if found is not None:
            print(f"already running (pid {found.pid}) at {found.url}\n  KUBECONFIG={found.kubeconfig_path}")
            return 0
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(_up(state_dir, args.port, args.network))
        except statelock.StateDirInUse as busy:
            print(f"{busy}; it is still starting (see {state_dir / daemon.LOG_FILE})")
        except JournalDamaged as damage:
            print(f"training-operator-local: {damage}", file=sys.stderr)
            return 1
        return 0
    if args.command == "down":
        if daemon.stop(state_dir):
            print("stopped")
            return 0
        print("not running", file=sys.stderr)
        return 1
    found = daemon.is_running(state_dir)
    if args.command == "kubeconfig":
        print(state_dir / "kubeconfig")
        return 0 if found else 1
    if found is None:
        print("not running")
        return 1
    print(f"running (pid {found.pid}) at {found.url}\n  KUBECONFIG={found.kubeconfig_path}")
    return 0
