"""Kubeconfig files as kubectl reads them: the list of files, how they merge, and the chosen context.

Merge rules (client-go's `ClientConfigLoadingRules`): `$KUBECONFIG` is a list of files separated by the OS
path separator, missing files are skipped; the first file that defines a cluster, user or context by a name
wins that name, and the first file that sets `current-context` wins it. Relative paths inside a file (CA,
certificates, keys, token files, exec commands) are relative to the file that holds them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from training_operator.core.errors import AccessError

DEFAULT = Path("~/.kube/config")
_SECTIONS = (("clusters", "cluster"), ("users", "user"), ("contexts", "context"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One named cluster, user or context, with the folder its relative paths start from."""

    name: str
    body: Mapping[str, Any]
    base: Path


@dataclass(slots=True)
class Merged:
    """Every file's entries, merged by name; `files` lists what was read, for error messages."""

    files: list[Path] = field(default_factory=list)
    current_context: str = ""
    entries: dict[str, dict[str, Entry]] = field(default_factory=lambda: {s: {} for s, _ in _SECTIONS})


@dataclass(frozen=True, slots=True)
class Selection:
    """The cluster and user a context points at, and its namespace."""

    context: str
    cluster: Entry
    user: Entry
    namespace: str


def paths(explicit: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> list[Path]:
    """`--kubeconfig` alone when given, else every file of `$KUBECONFIG`, else ~/.kube/config."""
    if explicit:
        return [Path(explicit).expanduser()]
    listed = [p for p in environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return list(dict.fromkeys(Path(p).expanduser() for p in listed)) or [DEFAULT.expanduser()]


def read(files: Sequence[Path], *, required: bool) -> Merged:
    """Merge the files that exist; `required` (an explicit --kubeconfig) makes a missing file an error."""
    import yaml

    merged = Merged()
    for path in files:
        try:
            text = path.read_text()
        except FileNotFoundError:
            if required:
                raise AccessError(f"kubeconfig {path} does not exist") from None
            continue
        except OSError as error:
            raise AccessError(f"cannot read kubeconfig {path}: {error}") from None
        try:
            document = yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise AccessError(f"kubeconfig {path} is not valid YAML: {error}") from None
        if not isinstance(document, dict):
            raise AccessError(f"kubeconfig {path} is not a kubeconfig (expected a mapping)")
        _merge(merged, document, path)
    return merged


def _merge(merged: Merged, document: Mapping[str, Any], path: Path) -> None:
    merged.files.append(path)
    base = path.resolve().parent
    merged.current_context = merged.current_context or str(document.get("current-context") or "")
    for section, key in _SECTIONS:
        for item in document.get(section) or ():
            name = str((item or {}).get("name") or "")
            if name and name not in merged.entries[section]:
                merged.entries[section][name] = Entry(name, (item or {}).get(key) or {}, base)


def select(merged: Merged, context: str | None) -> Selection:
    """The context named (or the current one) with its cluster and user; a clear error for each gap."""
    where = ", ".join(map(str, merged.files)) or "no kubeconfig file"
    name = context or merged.current_context
    if not name:
        raise AccessError(f"no current-context in {where}: pass --context or set current-context")
    chosen = merged.entries["contexts"].get(name)
    if chosen is None:
        raise AccessError(f"context {name!r} not found in {where}")
    cluster = merged.entries["clusters"].get(str(chosen.body.get("cluster") or ""))
    if cluster is None or not cluster.body.get("server"):
        raise AccessError(f"context {name!r} names no cluster with a server in {where}")
    user_name = str(chosen.body.get("user") or "")
    user = merged.entries["users"].get(user_name) or Entry(user_name, {}, chosen.base)
    namespace = str(chosen.body.get("namespace") or "default")
    return Selection(name, cluster, user, namespace)
