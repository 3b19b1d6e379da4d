"""Container environment: env, valueFrom, envFrom and `$(VAR)` expansion, as the kubelet computes them.

Pure given a resolver for ConfigMaps and Secrets, so every Kubernetes rule here (order of precedence,
expansion only of already-defined names, `$$` escaping, optional references) is unit-testable.
"""

import os
import sys
from collections.abc import Callable
from decimal import ROUND_UP, Decimal
from pathlib import Path
from typing import Any

Lookup = Callable[[str, str], dict[str, str] | None]  # (kind "ConfigMap"|"Secret", name) → data or None

# What a process on this machine needs that an image would otherwise provide (PATH, locale, home, venv).
PASSED_FROM_HOST = (
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "LD_LIBRARY_PATH",
)


class EnvError(Exception):
    """A required ConfigMap/Secret (or key) is missing: CreateContainerConfigError, the container waits."""


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names are replaced, `$$` is a literal `$`, the rest stays."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i):
            end = text.find(")", i + 2)
            name = text[i + 2 : end] if end != -1 else ""
            if end != -1 and name in env:
                out.append(env[name])
                i = end + 1
            elif end != -1:
                out.append(text[i : end + 1])
                i = end + 1
            else:
                out.append(text[i:])
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def field_ref(pod: dict[str, Any], path: str) -> str:
    """The downward-API fields Kubernetes supports for env and volumes."""
    meta, spec, status = pod["metadata"], pod.get("spec", {}), pod.get("status", {})
    if path.startswith(("metadata.labels['", "metadata.annotations['")):
        section, _, key = path.partition("['")
        return str((meta.get(section.split(".")[1]) or {}).get(key.rstrip("']"), ""))
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": status.get("podIP"),
        "status.hostIP": status.get("hostIP"),
        "status.podIPs": ",".join(i.get("ip", "") for i in status.get("podIPs") or []),
        "status.hostIPs": ",".join(i.get("ip", "") for i in status.get("hostIPs") or []),
    }
    if path in ("metadata.labels", "metadata.annotations"):
        values = meta.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    return str(simple.get(path) or "")


def _quantity(text: str) -> Decimal:
    suffixes = {
        "m": Decimal("0.001"),
        "k": Decimal(1000),
        "M": Decimal(1000) ** 2,
        "G": Decimal(1000) ** 3,
        "T": Decimal(1000) ** 4,
        "Ki": Decimal(1024),
        "Mi": Decimal(1024) ** 2,
        "Gi": Decimal(1024) ** 3,
        "Ti": Decimal(1024) ** 4,
    }
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix):
            return Decimal(text[: -len(suffix)]) * suffixes[suffix]
    return Decimal(text)


def resource_ref(container: dict[str, Any], ref: dict[str, Any], node_allocatable: dict[str, str]) -> str:
    """`resourceFieldRef`: limits default to node allocatable, divided by `divisor` and rounded up."""
    section, _, name = ref["resource"].partition(".")
    resources = container.get("resources") or {}
    value = (resources.get(section) or {}).get(name)
    if value is None:
        value = node_allocatable.get(name, "0") if section == "limits" else "0"
    amount = _quantity(str(value)) / _quantity(str(ref.get("divisor") or "1"))
    return str(int(amount.to_integral_value(rounding=ROUND_UP)))


def _value_from(
    pod: dict[str, Any],
    container: dict[str, Any],
    source: dict[str, Any],
    lookup: Lookup,
    allocatable: dict[str, str],
) -> str | None:
    if "fieldRef" in source:
        return field_ref(pod, source["fieldRef"]["fieldPath"])
    if "resourceFieldRef" in source:
        return resource_ref(container, source["resourceFieldRef"], allocatable)
    for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        if key in source:
            ref = source[key]
            data = lookup(kind, ref.get("name", ""))
            if data is None or ref.get("key") not in data:
                if ref.get("optional"):
                    return None
                what = (
                    f'{kind.lower()} "{ref.get("name")}" not found'
                    if data is None
                    else f"couldn't find key {ref.get('key')} in {kind} "
                    f"{pod['metadata']['namespace']}/{ref.get('name')}"
                )
                raise EnvError(what)
            return data[ref["key"]]
    return None


def local_path(path: str, standins: Path | None = None) -> str:
    """PATH with this interpreter's own bin directory first, then the node's stand-in commands.

    On the local node `python3`, `torchrun` or `mpirun` stand in for what an image would provide; the Python
    environment training-operator runs from (a virtualenv, usually not activated) is the one that has the
    frameworks installed, so its scripts win over the system's.
    """
    first = [os.path.dirname(sys.executable), *([str(standins)] if standins else [])]
    rest = [entry for entry in path.split(os.pathsep) if entry and entry not in first]
    return os.pathsep.join([*first, *rest])


def container_env(
    pod: dict[str, Any],
    container: dict[str, Any],
    lookup: Lookup,
    *,
    hostname: str,
    allocatable: dict[str, str],
    host_env: dict[str, str] | None = None,
    standins: Path | None = None,
    tmpdir: Path | None = None,
) -> dict[str, str]:
    """The full environment of one container process.

    `tmpdir`: the pod's own temporary directory, as TMPDIR unless the container sets it. A container's /tmp
    is its own on a real node; here every process shares the machine's, and launchers (torchrun's elastic
    agent, Paddle's) left a directory there for every pod they ran.
    """
    host = os.environ if host_env is None else host_env
    env: dict[str, str] = {k: host[k] for k in PASSED_FROM_HOST if k in host}
    env["PATH"] = local_path(env.get("PATH", ""), standins)
    env["HOSTNAME"] = hostname
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    elif "TMPDIR" in host:
        env["TMPDIR"] = host["TMPDIR"]
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            if key in source:
                data = lookup(kind, source[key].get("name", ""))
                if data is None:
                    if source[key].get("optional"):
                        continue
                    raise EnvError(f'{kind.lower()} "{source[key].get("name")}" not found')
                prefix = source.get("prefix", "")
                env.update({prefix + k: v for k, v in data.items()})
    defined: dict[str, str] = dict(env)
    for item in container.get("env") or []:
        if "valueFrom" in item:
            value = _value_from(pod, container, item["valueFrom"], lookup, allocatable)
            if value is None:
                continue
        else:
            value = expand(str(item.get("value", "")), defined)
        env[item["name"]] = value
        defined[item["name"]] = value
    return env


def command_line(container: dict[str, Any], env: dict[str, str]) -> list[str] | None:
    """command + args with `$(VAR)` expanded; None when there is no command (no image entrypoint locally)."""
    command = container.get("command") or []
    if not command:
        return None
    return [expand(str(part), env) for part in [*command, *(container.get("args") or [])]]
