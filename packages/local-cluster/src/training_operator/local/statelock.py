"""One cluster per state directory: an exclusive lock on `STATE_DIR/lock`, held for the cluster's lifetime.

Two clusters on one state dir would share the SQLite file, overwrite each other's kubeconfig and leave one
of them unreachable by `down`. The pid file (daemon.py) tells clients where a healthy cluster answers; this
lock decides who may start one at all. It is a `flock`, so the kernel releases it whenever the holder dies,
however it dies: a stale lock cannot outlive its process.
"""

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_FILE = "lock"


class StateDirInUse(RuntimeError):
    """Another process runs (or is starting) a cluster on this state dir; `pid` is that process."""

    def __init__(self, state_dir: Path, pid: int | None) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"{who} already runs a local cluster on {state_dir}")
        self.state_dir = state_dir
        self.pid = pid


def acquire(state_dir: Path) -> int:
    """Take the lock (recording our pid in it) and return its file descriptor; raise `StateDirInUse`."""
    fd = os.open(state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateDirInUse(state_dir, holder(state_dir)) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def release(fd: int) -> None:
    """Give the lock up (closing the descriptor releases it)."""
    with contextlib.suppress(OSError):
        os.close(fd)


def holder(state_dir: Path) -> int | None:
    """The pid written by the process that holds (or last held) the lock."""
    try:
        return int((state_dir / LOCK_FILE).read_text().strip() or 0) or None
    except (OSError, ValueError):
        return None
