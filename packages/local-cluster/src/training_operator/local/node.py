"""The one Node object: what `kubectl get nodes` shows and where pods are bound.

Its capacity reports this machine's CPUs and memory, and `nvidia.com/gpu` only when GPUs are visible, so the
scheduler's fit check and users see the same truth.
"""

import datetime
import os
import shutil
import subprocess
from typing import Any

from training_operator.local import metadata


def gpu_count() -> int:
    """GPUs visible through nvidia-smi (0 when there is none or no driver)."""
    if os.environ.get("TRAINING_OPERATOR_LOCAL_GPUS"):
        return int(os.environ["TRAINING_OPERATOR_LOCAL_GPUS"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.startswith("GPU "))


def capacity() -> dict[str, str]:
    """cpu, memory, pods and (when present) nvidia.com/gpu."""
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    result = {
        "cpu": str(os.cpu_count() or 1),
        "memory": f"{pages // 1024}Ki",
        "pods": "110",
        "ephemeral-storage": "100Gi",
    }
    gpus = gpu_count()
    if gpus:
        result["nvidia.com/gpu"] = str(gpus)
    return result


def node_object(name: str, now: datetime.datetime) -> dict[str, Any]:
    """A Ready node labelled like a kind/kubeadm node."""
    stamp = metadata.timestamp(now)
    cap = capacity()
    return {
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node-role.kubernetes.io/local": "",
            },
        },
        "spec": {},
        "status": {
            "capacity": cap,
            "allocatable": cap,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "process kubelet is posting ready status",
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
            ],
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "kubeletVersion": "v1.31.0-local",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "containerRuntimeVersion": "process://local",
            },
        },
    }
