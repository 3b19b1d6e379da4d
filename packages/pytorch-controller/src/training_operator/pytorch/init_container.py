"""The init container that holds a Worker back until the Master's service name resolves (frameworks.md §2.7).

Without it a Worker that starts first fails `init_process_group` on an unknown host and burns a restart. The
operator's flags choose the image, the number of tries and optionally a template file; the file uses Go
template placeholders (`{{.MasterAddr}}`, `{{.InitContainerImage}}`, `{{.MaxTries}}`), so files written for
Kubeflow's operator keep working unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import Flag

NAME = "init-pytorch"
DEFAULT_IMAGE = "alpine:3.10"
DEFAULT_MAX_TRIES = 100
DEFAULT_TEMPLATE_FILE = "/etc/config/initContainer.yaml"

#: Kubeflow's flag names and defaults (common.md §18.1), owned by this package
FLAGS = (
    Flag("--pytorch-init-container-image", DEFAULT_IMAGE, "image of the wait-for-master init container"),
    Flag(
        "--pytorch-init-container-template-file", DEFAULT_TEMPLATE_FILE, "init container template", file=True
    ),
    Flag("--pytorch-init-container-max-tries", DEFAULT_MAX_TRIES, "DNS lookups before giving up", type=int),
)


@dataclass(frozen=True, slots=True)
class InitContainerOptions:
    """The operator's settings for the init container (its flags, read once at start-up)."""

    image: str = DEFAULT_IMAGE
    max_tries: int = DEFAULT_MAX_TRIES
    #: a pre-parsed container whose strings hold the placeholders (used by tests and embedders)
    template: Mapping[str, Any] | None = None
    #: the text of `--pytorch-init-container-template-file` (a YAML list of containers with `{{.MasterAddr}}`,
    #: `{{.InitContainerImage}}`, `{{.MaxTries}}` placeholders); None = built-in
    template_text: str | None = None

    @classmethod
    def from_flags(cls, values: Mapping[str, Any]) -> InitContainerOptions:
        """The options from `FLAGS` values (`Flag.dest` → value; the file flag's value is its text)."""
        return cls(
            image=str(values.get("pytorch_init_container_image", DEFAULT_IMAGE)),
            max_tries=int(values.get("pytorch_init_container_max_tries", DEFAULT_MAX_TRIES)),
            template_text=values.get("pytorch_init_container_template_file"),
        )


# Go html/template escapes substituted values; job names and images never contain these in practice
_HTML_ESCAPES = str.maketrans(
    {"\0": "\ufffd", '"': "&#34;", "&": "&amp;", "'": "&#39;", "+": "&#43;", "<": "&lt;", ">": "&gt;"}
)
_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_FIELD = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def init_containers(master_address: str, options: InitContainerOptions) -> list[dict[str, Any]]:
    """The containers to append to a Worker's `initContainers` (after the template's own)."""
    values = {
        "MasterAddr": master_address,
        "InitContainerImage": options.image,
        "MaxTries": str(options.max_tries),
    }
    if options.template_text is not None:
        return _from_text(options.template_text, values)
    if options.template is not None:
        return [_substituted(options.template, values)]
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
