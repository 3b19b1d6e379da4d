"""Kubeconfig `exec` credential plug-ins (client.authentication.k8s.io v1 and v1beta1), run as client-go does.

How EKS (`aws eks get-token`), GKE (`gke-gcloud-auth-plugin`), AKS (`kubelogin`) and OIDC logins hand out
tokens: the plug-in is run with the kubeconfig's args and env plus `KUBERNETES_EXEC_INFO`, and prints an
ExecCredential whose status holds a token or a client certificate, and optionally when it expires. The
caller (`source.ExecPlugin`) decides when to run it again: before that expiry and after a 401.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from training_operator.core.errors import AccessError

API_VERSIONS = ("client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1")
#: seconds a plug-in may take; client-go has no limit, but a hung login must not hang the operator forever
TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Issued:
    """What one run of the plug-in handed out."""

    token: str | None
    cert_pem: bytes | None
    key_pem: bytes | None
    expires: datetime | None


def run(config: Mapping[str, Any], *, base: Path, cluster: Mapping[str, Any] | None = None) -> Issued:
    """Run the plug-in once and read its ExecCredential; AccessError (with its install hint) on failure."""
    api_version = str(config.get("apiVersion") or "")
    if api_version not in API_VERSIONS:
        raise AccessError(
            f"exec plug-in apiVersion {api_version or '(none)'!r} is not supported: use one of "
            + ", ".join(API_VERSIONS)
        )
    command = str(config.get("command") or "")
    if not command:
        raise AccessError("the kubeconfig's exec plug-in names no command")
    if os.sep in command and not os.path.isabs(command):
        command = str(base / command)  # client-go: relative to the kubeconfig holding it
    env = {**os.environ, **{str(e["name"]): str(e["value"]) for e in config.get("env") or ()}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(_exec_info(config, api_version, cluster))
    try:
        done = subprocess.run(
            [command, *map(str, config.get("args") or ())],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise AccessError(_missing(command, config)) from None
    except (OSError, subprocess.TimeoutExpired) as error:
        raise AccessError(f"exec plug-in {command} failed: {error}") from None
    if done.returncode != 0:
        detail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise AccessError(f"exec plug-in {command} exited with {done.returncode}: {detail[0]}")
    return parse(done.stdout, api_version=api_version, command=command)


def _exec_info(config: Mapping[str, Any], api_version: str, cluster: Mapping[str, Any] | None) -> Any:
    spec: dict[str, Any] = {"interactive": False}
    if config.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = {
            "server": cluster.get("server"),
            "certificate-authority-data": cluster.get("certificate-authority-data"),
            "insecure-skip-tls-verify": bool(cluster.get("insecure-skip-tls-verify")),
        }
    return {"apiVersion": api_version, "kind": "ExecCredential", "spec": spec}


def _missing(command: str, config: Mapping[str, Any]) -> str:
    hint = str(config.get("installHint") or "").strip()
    return f"exec plug-in {command} is not installed" + (f": {hint}" if hint else "")


def parse(output: bytes, *, api_version: str, command: str) -> Issued:
    """The ExecCredential a plug-in printed; its apiVersion must match the one the kubeconfig asked for."""
    try:
        credential = json.loads(output)
    except ValueError:
        raise AccessError(f"exec plug-in {command} printed no ExecCredential JSON") from None
    if not isinstance(credential, dict) or credential.get("kind") != "ExecCredential":
        raise AccessError(f"exec plug-in {command} printed no ExecCredential")
    if credential.get("apiVersion") != api_version:
        raise AccessError(
            f"exec plug-in {command} answered {credential.get('apiVersion')!r}, the kubeconfig asked for "
            f"{api_version!r}"
        )
    status = credential.get("status") or {}
    token = status.get("token") or None
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if not token and not (cert and key):
        raise AccessError(f"exec plug-in {command} returned neither a token nor a client certificate")
    stamp = status.get("expirationTimestamp")
    return Issued(
        token=token,
        cert_pem=cert.encode() if cert else None,
        key_pem=key.encode() if key else None,
        expires=_timestamp(stamp, command) if stamp else None,
    )


def _timestamp(text: str, command: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AccessError(f"exec plug-in {command} returned a bad expirationTimestamp {text!r}") from None
