"""The operator as a child process, for test suites and benchmarks that drive it from outside.

Every suite that runs `training-operator run` against a local cluster wants the same thing: the console script
of this interpreter, webhooks off, listeners on ports that cannot collide, the output in a log file, and a
clean stop (SIGTERM, then SIGKILL if it hangs) whatever happens in the test. `stop` serves any child process
(the benchmarks' cluster too).
"""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

#: below Linux's default ephemeral range (32768–60999), where the kernel picks ports for `bind(0)` and for
#: outgoing connections: a port chosen here cannot be handed to anyone else between now and the child's bind
_UNASSIGNED = range(20000, 32768)
#: ports this process has handed out already (a child may not have bound its port yet)
_HANDED: set[int] = set()
_HANDED_LOCK = threading.Lock()


def free_port() -> int:
    """A TCP port nothing listens on right now, for a child process to bind a moment later.

    A port from `bind(0)` comes from the ephemeral range, so any other process's `bind(0)` or outgoing
    connection could take it before the child binds it ("address already in use"); one from below that range
    can only collide with another caller of this function picking the same port in that moment. Within this
    process that cannot happen either: a port is handed out once (the install matrix starts twenty operators
    on threads at once, and two of them were once given the same port before either had bound it)."""
    with _HANDED_LOCK:
        for _ in range(100):
            port = random.choice(_UNASSIGNED)
            if port in _HANDED:
                continue
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _HANDED.add(port)
            return port
    raise OSError("no free TCP port between 20000 and 32767 on 127.0.0.1")


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
