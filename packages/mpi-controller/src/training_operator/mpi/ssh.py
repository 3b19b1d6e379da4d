"""The per-job SSH identity: the `<name>-ssh` Secret and how it is mounted (mpi.md §8.3, §8.7).

Launcher and workers share one ECDSA P-521 key pair, so `mpirun` reaches every worker's sshd without any
API-server traffic (no `kubectl exec`, no per-job RBAC; mpi.md §18). Generating a key is not planning: the
adapter makes a pair when `MPIFramework.wants_key_pair` says the job has no usable Secret, and it arrives in
`Snapshot.key_pair`. The key material goes into the Secret body and nowhere else (never into events, errors
or status).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from training_operator.core.engine.observed import Snapshot
from training_operator.core.errors import ReconcileError
from training_operator.mpi import naming
from training_operator.mpi.api import MPIJob

SECRET_TYPE = "kubernetes.io/ssh-auth"
PRIVATE_KEY = "ssh-privatekey"
PUBLIC_KEY = "ssh-publickey"
KEYS = frozenset({PRIVATE_KEY, PUBLIC_KEY})
VOLUME = "ssh-auth"
#: upstream sets 0600 only for the root path: a non-root sshd user cannot read a root-owned 0600 file (§8.7)
ROOT_SSH_PATH = "/root/.ssh"
ROOT_MODE = 0o600


def usable(secret: Mapping[str, Any] | None) -> bool:
    """Whether an existing Secret holds exactly our two keys (contents are never compared)."""
    return secret is not None and set(secret.get("data") or {}) == KEYS


def key_pair(observed: Snapshot) -> tuple[bytes, bytes]:
    """The adapter's fresh pair; its absence is the caller's mistake, reported on the job, never a crash."""
    if observed.key_pair is None:
        raise ReconcileError("no SSH key pair was supplied for the job's Secret (Snapshot.key_pair)")
    return observed.key_pair


def secret_data(key_pair: tuple[bytes, bytes]) -> dict[str, str]:
    """Both keys, base64-encoded as Secret `data` wants them."""
    private, public = key_pair
    return {
        PRIVATE_KEY: base64.b64encode(private).decode(),
        PUBLIC_KEY: base64.b64encode(public).decode(),
    }


def secret(job: MPIJob, key_pair: tuple[bytes, bytes]) -> dict[str, Any]:
    """The whole desired Secret."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": naming.metadata(job, naming.secret(job)),
        "type": SECRET_TYPE,
        "data": secret_data(key_pair),
    }


def volume(job: MPIJob) -> tuple[dict[str, Any], dict[str, Any]]:
    """The `ssh-auth` volume (private key as id_rsa, public key twice) and its mount at sshAuthMountPath."""
    path = job.spec.ssh_auth_mount_path or ROOT_SSH_PATH
    source: dict[str, Any] = {
        "secretName": naming.secret(job),
        "items": [
            {"key": PRIVATE_KEY, "path": "id_rsa"},
            {"key": PUBLIC_KEY, "path": "id_rsa.pub"},
            {"key": PUBLIC_KEY, "path": "authorized_keys"},
        ],
    }
    if path == ROOT_SSH_PATH:
        source["defaultMode"] = ROOT_MODE
    return {"name": VOLUME, "secret": source}, {"name": VOLUME, "mountPath": path}
