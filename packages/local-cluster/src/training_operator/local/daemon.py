"""Finding, starting and stopping a local cluster that runs in its own process.

Other packages (the unified operator's `training-operator local run`) call `ensure_running()` and get a
kubeconfig path back; the cluster process records itself in `STATE_DIR/cluster.pid` (JSON: pid and url), and
`is_running` trusts that file only when the pid is alive and the server answers /healthz.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from training_operator.local import statelock, tls
from training_operator.local.cluster import default_state_dir

PID_FILE = "cluster.pid"
LOG_FILE = "cluster.log"


@dataclass(frozen=True, slots=True)
class RunningCluster:
    """A cluster process found through its pid file."""

    pid: int
    url: str
    state_dir: Path
    #: the process runs the operator next to the cluster (`training-operator local up`), not the cluster alone
    operator: bool = False

    @property
    def kubeconfig_path(self) -> Path:
        """The kubeconfig the process wrote."""
        return self.state_dir / "kubeconfig"


def write_pid_file(state_dir: Path, url: str, *, operator: bool = False) -> None:
    """Record this process as the state dir's cluster (once it serves: clients trust the file)."""
    info = {"pid": os.getpid(), "url": url, "operator": operator}
    fresh = state_dir / (PID_FILE + ".tmp")
    fresh.write_text(json.dumps(info))
    os.replace(fresh, state_dir / PID_FILE)  # whole or not at all for `is_running` in other processes


def remove_pid_file(state_dir: Path) -> None:
    """Forget this process (only if the file still names it)."""
    path = state_dir / PID_FILE
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # an exited child not yet reaped by its parent still answers kill(0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _healthy(url: str, state_dir: Path) -> bool:
    try:
        context = tls.client_context(state_dir)
        with urllib.request.urlopen(f"{url}/healthz", timeout=2, context=context) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def is_running(state_dir: Path | str | None = None) -> RunningCluster | None:
    """The cluster serving this state dir, or None."""
    directory = Path(state_dir) if state_dir is not None else default_state_dir()
    try:
        info = json.loads((directory / PID_FILE).read_text())
    except (OSError, ValueError):
        return None
    pid, url = int(info.get("pid", 0)), str(info.get("url", ""))
    if pid <= 0 or not _alive(pid) or not _healthy(url, directory):
        return None
    return RunningCluster(pid, url, directory, operator=bool(info.get("operator")))


def ensure_running(
    state_dir: Path | str | None = None,
    *,
    port: int = 0,
    timeout: float = 60.0,
    extra_args: tuple[str, ...] = (),
    launcher: tuple[str, ...] = ("-m", "training_operator.local"),
) -> Path:
    """Start a background cluster for `state_dir` unless one runs; return its kubeconfig path.

    `launcher`: the Python arguments of a CLI whose `up --state-dir D --port P` runs the cluster in the
    foreground (the unified operator passes its own, which runs the operator too). The daemon's output goes
    to `STATE_DIR/cluster.log`. Raises `TimeoutError` when it does not come up.
    """
    directory = Path(state_dir) if state_dir is not None else default_state_dir()
    found = is_running(directory)
    if found is not None:
        return found.kubeconfig_path
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [
        sys.executable,
        *launcher,
        "up",
        "--state-dir",
        str(directory),
        "--port",
        str(port),
        *extra_args,
    ]
    with open(directory / LOG_FILE, "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    # Reap the daemon whenever it exits, so it never lingers as a zombie of a long-lived caller.
    threading.Thread(target=process.wait, name="local-cluster-reaper", daemon=True).start()
    try:
        return _wait_until_serving(directory, process, timeout)
    except KeyboardInterrupt:
        process.terminate()  # ours, and not serving yet: interrupting the wait stops it too
        raise


def _wait_until_serving(directory: Path, process: subprocess.Popen[bytes], timeout: float) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = is_running(directory)
        if found is not None:
            return found.kubeconfig_path
        if process.poll() is not None and is_running(directory) is None and _starting(directory) is None:
            raise RuntimeError(f"local cluster exited with {process.returncode}; see {directory / LOG_FILE}")
        time.sleep(0.1)  # noqa: TID251 - polling another process from synchronous code
    raise TimeoutError(f"local cluster did not start within {timeout}s; see {directory / LOG_FILE}")


def _starting(directory: Path) -> int | None:
    """The pid of a live process that took the state dir's lock (maybe still starting), if any.

    Read from the lock file rather than by trying the lock, which could make a starting cluster fail."""
    pid = statelock.holder(directory)
    return pid if pid is not None and _alive(pid) else None


def stop(state_dir: Path | str | None = None, *, timeout: float = 60.0) -> bool:
    """SIGTERM the running cluster and wait for it to exit; False when none was running."""
    found = is_running(state_dir)
    if found is None:
        return False
    os.kill(found.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(found.pid):
            return True
        time.sleep(0.1)  # noqa: TID251 - polling another process from synchronous code
    os.kill(found.pid, signal.SIGKILL)
    return True
