"""The kubeconfig file and the per-state-dir bearer token.

kubectl and the official clients find the local cluster through this file alone; it holds the token, so it
is written with mode 0600 from the start (never world-readable, even for an instant).
"""

import base64
import os
import secrets
from pathlib import Path

import yaml

CONTEXT = "training-operator-local"


def load_or_create_token(state_dir: Path) -> str:
    """The state dir's token, created once with 32 random bytes."""
    path = state_dir / "token"
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    _write_private(path, token + "\n")
    return token


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def render(url: str, token: str, ca_pem: bytes, *, namespace: str = "default") -> str:
    """Kubeconfig YAML for one cluster (trusting our CA), user and context."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": CONTEXT,
                "cluster": {"server": url, "certificate-authority-data": base64.b64encode(ca_pem).decode()},
            }
        ],
        "users": [{"name": CONTEXT, "user": {"token": token}}],
        "contexts": [
            {"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}
        ],
        "current-context": CONTEXT,
        "preferences": {},
    }
    return yaml.safe_dump(config, sort_keys=False)


def write(state_dir: Path, url: str, token: str, ca_pem: bytes) -> Path:
    """Write `state_dir/kubeconfig` (mode 0600) and return its path."""
    path = state_dir / "kubeconfig"
    _write_private(path, render(url, token, ca_pem))
    return path
