"""The operator as a child process, for test suites and benchmarks that drive it from outside.

Every suite that runs `training-operator run` against a local cluster wants the same thing: the console script
of this interpreter, webhooks off, listeners on ports that cannot collide, the output in a log file, and a
clean stop (SIGTERM, then SIGKILL if it hangs) whatever happens in the test. `stop` serves any child process
(the benchmarks' cluster too).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def operator_process(
    kubeconfig: str | Path, log_path: Path, *args: str, ports: dict[str, int] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`training-operator run --disable-webhooks *args` until the block ends; pass a dict as `ports` to learn
    its "metrics" and "health" ports."""
    chosen = {"metrics": free_port(), "health": free_port()}
    if ports is not None:
        ports.update(chosen)
    command = [
        str(Path(sys.executable).parent / "training-operator"),
        "run",
        "--kubeconfig",
        str(kubeconfig),
        "--metrics-bind-address",
        f"127.0.0.1:{chosen['metrics']}",
        "--health-probe-bind-address",
        f"127.0.0.1:{chosen['health']}",
        "--disable-webhooks",
        *args,
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*_dying_with_us(), *command], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        yield process
    finally:
        stop(process)


def _dying_with_us() -> list[str]:
    """A prefix that makes the child get SIGTERM when this process dies, even by SIGKILL (an OOM kill once
    orphaned a suite's operator): util-linux's `setpriv --pdeathsig`, which then execs the command."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


def stop(process: subprocess.Popen[bytes], *, grace: float = 30.0) -> None:
    """SIGTERM, and SIGKILL if the process has not exited after `grace` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
