"""The init container that holds a Worker back until the Master's service name resolves (frameworks.md §2.7).

Without it a Worker that starts first fails `init_process_group` on an unknown host and burns a restart. The
operator's flags choose the image, the number of tries and optionally a template file; the file uses Go
template placeholders (`{{.MasterAddr}}`, `{{.InitContainerImage}}`, `{{.MaxTries}}`), so files written for
Kubeflow's operator keep working unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions

NAME = "init-pytorch"

# Go html/template escapes substituted values; job names and images never contain these in practice
_HTML_ESCAPES = str.maketrans(
    {"\0": "\ufffd", '"': "&#34;", "&": "&amp;", "'": "&#39;", "+": "&#43;", "<": "&lt;", ">": "&gt;"}
)
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def init_containers(master_address: str, options: EngineOptions) -> list[dict[str, Any]]:
    """The containers to append to a Worker's `initContainers` (after the template's own)."""
    values = {
        "MasterAddr": master_address,
        "InitContainerImage": options.pytorch_init_container_image,
        "MaxTries": str(options.pytorch_init_container_max_tries),
    }
    if options.pytorch_init_container_template_text is not None:
        return _from_text(options.pytorch_init_container_template_text, values)
    if options.pytorch_init_container_template is not None:
        return [_substituted(options.pytorch_init_container_template, values)]
    return [_built_in(values)]


def _built_in(values: Mapping[str, str]) -> dict[str, Any]:
    escaped = {key: value.translate(_HTML_ESCAPES) for key, value in values.items()}
    wait = (
        f"err=1;for i in $(seq {escaped['MaxTries']}); do if nslookup {escaped['MasterAddr']}; "
        "then err=0 && break; fi;echo waiting for master; sleep 2; done; exit $err"
    )
    return {
        "name": NAME,
        "image": escaped["InitContainerImage"],
        "imagePullPolicy": "IfNotPresent",
        "resources": {
            "limits": {"cpu": "100m", "memory": "20Mi"},
            "requests": {"cpu": "50m", "memory": "10Mi"},
        },
        "command": ["sh", "-c", wait],
    }


def render(text: str, values: Mapping[str, str]) -> str:
    """Replace each `{{.Field}}` with its HTML-escaped value; any other template action is an error."""

    def substitute(match: re.Match[str]) -> str:
        field = _FIELD.fullmatch(match.group(1))
        if field is None:
            raise ReconcileError(f"init container template: unsupported action {match.group(0)!r}")
        if field.group(1) not in values:
            raise ReconcileError(f"init container template: can't evaluate field {field.group(1)}")
        return values[field.group(1)].translate(_HTML_ESCAPES)

    return _ACTION.sub(substitute, text)


def _from_text(text: str, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """A template file rendered and parsed as a YAML list of containers; anything else fails the pod."""
    try:
        parsed = yaml.safe_load(render(text, values))
    except yaml.YAMLError as error:
        raise ReconcileError(f"init container template is not valid YAML: {error}") from None
    if parsed is None:
        return []
    if not isinstance(parsed, list) or not all(isinstance(c, dict) for c in parsed):
        raise ReconcileError("init container template must be a YAML list of containers")
    return parsed


def _substituted(node: Any, values: Mapping[str, str]) -> Any:
    """An already-parsed container with placeholders replaced in every string it holds."""
    if isinstance(node, str):
        return render(node, values)
    if isinstance(node, Mapping):
        return {key: _substituted(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_substituted(item, values) for item in node]
    return node
