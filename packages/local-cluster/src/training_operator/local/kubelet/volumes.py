"""Volumes materialised in the pod sandbox: configMap, secret, emptyDir, downwardAPI (and hostPath).

Files are written with the declared modes (`defaultMode`, per-item `mode`; without either, 0644 for every
source, as Kubernetes documents for `defaultMode`), then bind-mounted at their mountPath by the network/mount
namespace layer. Projected volumes combine the same sources.
"""

import base64
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training_operator.local.kubelet.envvars import field_ref

Lookup = Callable[[str, str], dict[str, bytes] | None]  # (kind, name) → raw data or None


class VolumeError(Exception):
    """A referenced ConfigMap/Secret is missing: the pod stays in ContainerCreating."""


@dataclass(frozen=True, slots=True)
class Mount:
    """One bind mount for a container: host path → path inside the pod."""

    source: Path
    target: str
    read_only: bool


def _write_file(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def _project(
    target: Path, data: dict[str, bytes], items: list[dict[str, Any]] | None, default_mode: int, what: str
) -> None:
    if items:
        for item in items:
            if item["key"] not in data:
                raise VolumeError(f"couldn't find key {item['key']} in {what}")
            _write_file(target / item["path"], data[item["key"]], int(item.get("mode", default_mode)))
    else:
        for key, value in data.items():
            _write_file(target / key, value, default_mode)


def _source(
    volume: dict[str, Any], target: Path, pod: dict[str, Any], lookup: Lookup, default_mode: int
) -> None:
    namespace = pod["metadata"]["namespace"]
    for key, kind, name_key in (("configMap", "ConfigMap", "name"), ("secret", "Secret", "secretName")):
        if key in volume:
            source = volume[key]
            name = source.get(name_key) or source.get("name", "")
            data = lookup(kind, name)
            if data is None:
                if source.get("optional"):
                    return
                raise VolumeError(f'{kind.lower()} "{name}" not found in namespace {namespace}')
            _project(
                target,
                data,
                source.get("items"),
                int(source.get("defaultMode", default_mode)),
                f"{kind} {namespace}/{name}",
            )
            return
    if "downwardAPI" in volume:
        source = volume["downwardAPI"]
        mode = int(source.get("defaultMode", default_mode))
        for item in source.get("items") or []:
            if "fieldRef" in item:
                value = field_ref(pod, item["fieldRef"]["fieldPath"])
                _write_file(target / item["path"], value.encode(), int(item.get("mode", mode)))


def materialise(pod: dict[str, Any], sandbox: Path, lookup: Lookup) -> dict[str, Path]:
    """Create every volume under `sandbox/volumes`; returns volume name → host path."""
    paths: dict[str, Path] = {}
    for volume in pod["spec"].get("volumes") or []:
        name = volume["name"]
        target = sandbox / "volumes" / name
        if "hostPath" in volume:
            paths[name] = Path(volume["hostPath"]["path"])
            continue
        fresh = target.with_name(f".{name}.new")
        if "emptyDir" in volume:
            target.mkdir(parents=True, exist_ok=True)
            paths[name] = target
            continue
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        if "projected" in volume:
            for source in volume["projected"].get("sources") or []:
                _source(source, fresh, pod, lookup, int(volume["projected"].get("defaultMode", 0o644)))
        else:
            _source(volume, fresh, pod, lookup, 0o644)
        fresh.chmod(0o755)
        if target.exists():
            # Refresh in place so existing bind mounts see the new files.
            for child in target.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            for child in fresh.iterdir():
                os.replace(child, target / child.name)
            shutil.rmtree(fresh)
        else:
            os.replace(fresh, target)
        paths[name] = target
    return paths


def container_mounts(container: dict[str, Any], volumes: dict[str, Path]) -> list[Mount]:
    """The bind mounts of one container, with subPath resolved."""
    mounts = []
    for mount in container.get("volumeMounts") or []:
        source = volumes.get(mount["name"])
        if source is None:
            continue
        if mount.get("subPath"):
            source = source / mount["subPath"]
            if not source.exists():
                source.mkdir(parents=True)
        mounts.append(Mount(source, mount["mountPath"], bool(mount.get("readOnly"))))
    return mounts


def decode_secret(data: dict[str, str]) -> dict[str, bytes]:
    """Secret data as bytes."""
    return {k: base64.b64decode(v) for k, v in data.items()}
