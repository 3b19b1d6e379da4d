"""Gang scheduling on, PodGroup CRD missing (common.md §14.1): the operator says so at start and exits 1,
instead of running with pods that would wait for a PodGroup nobody can create."""

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


@pytest.mark.parametrize("scheduler", ["volcano", "scheduler-plugins-scheduler"])
async def test_a_missing_pod_group_crd_stops_the_operator_at_start(cluster, api, kit, tmp_path, scheduler):
    command = [
        str(Path(sys.executable).parent / "training-operator"),
        "run",
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--enable-scheme=tfjob",
        "--disable-webhooks",
        f"--gang-scheduler-name={scheduler}",
        f"--metrics-bind-address=127.0.0.1:{kit.free_port()}",
        f"--health-probe-bind-address=127.0.0.1:{kit.free_port()}",
    ]
    process = await asyncio.create_subprocess_exec(
        *command,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "MY_POD_NAMESPACE": "default"},
    )
    output, _ = await asyncio.wait_for(process.communicate(), 45)
    assert process.returncode == 1, output.decode()
    text = output.decode()
    assert "crd might be missing, please install crd" in text
    assert "PodGroup" in text
    assert "Traceback" not in text
