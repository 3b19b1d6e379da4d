"""The per-job SSH identity: the `<name>-ssh` Secret and how it is mounted (mpi.md §8.3, §8.7).

Launcher and workers share one ECDSA P-521 key pair, so `mpirun` reaches every worker's sshd without any
API-server traffic (no `kubectl exec`, no per-job RBAC; mpi.md §18). Key generation is the one impure step
of planning, so it sits behind `EngineOptions.key_factory`; the key material goes into the Secret body and
nowhere else (never into events, errors or status).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

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

KeyFactory = Callable[[], tuple[bytes, bytes]]


def generate_key_pair() -> tuple[bytes, bytes]:
    """A fresh ECDSA P-521 pair: SEC1 PEM private key and an OpenSSH public-key line ending in a newline."""
    key = ec.generate_private_key(ec.SECP521R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public + b"\n"


def secret_data(key_factory: KeyFactory | None) -> dict[str, str]:
    """Both keys, base64-encoded as Secret `data` wants them."""
    private, public = (key_factory or generate_key_pair)()
    return {
        PRIVATE_KEY: base64.b64encode(private).decode(),
        PUBLIC_KEY: base64.b64encode(public).decode(),
    }


def secret(job: MPIJob, key_factory: KeyFactory | None) -> dict[str, Any]:
    """The whole desired Secret."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": naming.metadata(job, naming.secret(job)),
        "type": SECRET_TYPE,
        "data": secret_data(key_factory),
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
