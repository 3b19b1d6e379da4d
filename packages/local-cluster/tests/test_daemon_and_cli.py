"""Daemon and CLI: `ensure_running` starts one background cluster per state dir and reuses it, writes a 0600
kubeconfig the official client can use, `status` reports it and `down`/`stop` end it; the public API is
sorted and complete."""

import os
import stat
import subprocess
import sys
import types

import kubernetes
import pytest

import training_operator.local as local
from training_operator.local import statelock


def test_ensure_running_starts_reuses_and_stops(tmp_path):
    state = tmp_path / "daemon"
    kubeconfig = local.ensure_running(state, extra_args=("--network", "loopback"))
    try:
        assert kubeconfig == state / "kubeconfig"
        assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
        running = local.is_running(state)
        assert running is not None
        assert running.url.startswith("https://127.0.0.1:")
        assert local.ensure_running(state) == kubeconfig
        assert local.is_running(state).pid == running.pid
        config = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(config_file=str(kubeconfig), client_configuration=config)
        with kubernetes.client.ApiClient(config) as client:
            names = [n.metadata.name for n in kubernetes.client.CoreV1Api(client).list_namespace().items]
        assert "default" in names
        status = subprocess.run(
            [sys.executable, "-m", "training_operator.local", "status", "--state-dir", str(state)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert status.returncode == 0
        assert f"pid {running.pid}" in status.stdout
    finally:
        down = subprocess.run(
            [sys.executable, "-m", "training_operator.local", "down", "--state-dir", str(state)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert down.returncode == 0, down.stderr
    assert local.is_running(state) is None
    assert not local.stop(state)


def test_public_api_is_sorted_and_complete():
    assert local.__all__ == sorted(local.__all__)
    public = {
        name
        for name in dir(local)
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(getattr(local, name), types.ModuleType)
    }
    assert public == set(local.__all__)


async def test_one_cluster_per_state_dir(tmp_path):
    state = tmp_path / "locked"
    first = local.LocalCluster(state, kubelet=False, controllers=False)
    await first.start()
    try:
        kubeconfig = (state / "kubeconfig").read_text()
        with pytest.raises(statelock.StateDirInUse, match=f"process {os.getpid()} already runs"):
            await local.LocalCluster(state, kubelet=False, controllers=False).start()
        assert (state / "kubeconfig").read_text() == kubeconfig  # the loser touched nothing
    finally:
        await first.stop()
    second = local.LocalCluster(state, kubelet=False, controllers=False)
    await second.start()  # the lock went with the first cluster
    await second.stop()


def test_a_second_up_reports_the_running_cluster_and_succeeds(tmp_path):
    state = tmp_path / "daemon"
    local.ensure_running(state, extra_args=("--network", "loopback"))
    try:
        again = subprocess.run(
            [sys.executable, "-m", "training_operator.local", "up", "--state-dir", str(state)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert f"already running (pid {local.is_running(state).pid})" in again.stdout
    finally:
        assert local.stop(state)
