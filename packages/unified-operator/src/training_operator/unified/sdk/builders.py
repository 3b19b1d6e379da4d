"""Kubeflow's `create_job` builders: a job from a training function or an image (spec A.5 modes 2/3, A.6).

Notebooks written for Kubeflow's SDK call `create_job(name=..., train_func=...)` or `base_image=...`; to let
them switch by changing an import, the JSON built here is the JSON Kubeflow 1.9 sends, byte for byte
(tests/sdk/test_builders_match_kubeflow.py compares them). Kept pure: no client, no I/O. Beyond Kubeflow,
XGBoostJob, MXJob and PaddleJob have an image mode too (B.3).
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from training_operator.unified.sdk import kinds

DEFAULT_PIP_INDEX_URL = "https://pypi.org/simple"
ISTIO_SIDECAR_INJECTION = "sidecar.istio.io/inject"  # Kubeflow turns the Istio sidecar off on every pod
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
ENTRYPOINT_TORCH = "torchrun"
ENTRYPOINT_PYTHON = "python -u"
COMMAND = ("bash", "-c")
#: Kubeflow's defaults when `base_image` is not given; other kinds have none (Kubeflow's is the string "TODO")
BASE_IMAGES = {
    "TFJob": "docker.io/tensorflow/tensorflow:2.9.1",
    "PyTorchJob": "docker.io/pytorch/pytorch:2.1.2-cuda11.8-cudnn8-runtime",
}
FUNCTION_KINDS = ("TFJob", "PyTorchJob")
IMAGE_KINDS = (*FUNCTION_KINDS, "XGBoostJob", "MXJob", "PaddleJob")

# Kubeflow writes its pip preamble as an indented f-string with a backslash continuation, so the pip command
# line carries the continuation's indentation (9 spaces); the same bytes are spelled out here.
_PIP_PREAMBLE = (
    '\nif ! [ -x "$(command -v pip)" ]; then\n'
    "    python -m ensurepip || python -m ensurepip --user || apt-get install python-pip\n"
    "fi\n\n"
    "PIP_DISABLE_PIP_VERSION_CHECK=1 python -m pip install --quiet         "
    "--no-warn-script-location --index-url {index} {packages}\n"
)
_RUN_SCRIPT = (
    "\nprogram_path=$(mktemp -d)\n"
    "read -r -d '' SCRIPT << EOM\n\n"
    "{code}\n"
    "EOM\n"
    'printf "%s" "$SCRIPT" > "$program_path/ephemeral_script.py"\n'
    '{entrypoint} "$program_path/ephemeral_script.py"'
)


@dataclass(frozen=True, slots=True)
class Builder:
    """`create_job`'s builder arguments with Kubeflow's names and defaults (an unknown one is a TypeError)."""

    base_image: str | None = None
    train_func: Callable[..., Any] | None = None
    parameters: Mapping[str, Any] | None = None
    num_workers: int | None = 1
    num_procs_per_worker: int | str | None = None
    resources_per_worker: Any = None
    num_chief_replicas: int | None = None
    num_ps_replicas: int | None = None
    packages_to_install: Sequence[str] | None = None
    pip_index_url: str = DEFAULT_PIP_INDEX_URL
    env_vars: Any = None
    queue_name: str | None = None
    volumes: Sequence[Any] | None = None
    volume_mounts: Sequence[Any] | None = None

    @property
    def builds(self) -> bool:
        """Function or image mode was asked for."""
        return self.train_func is not None or self.base_image is not None

    def set_beside_a_job(self) -> list[str]:
        """Arguments that object mode refuses (Kubeflow allows only namespace, labels, annotations, queue)."""
        allowed = {"num_workers", "pip_index_url", "queue_name"}  # the first two have non-None defaults
        return [f.name for f in fields(self) if f.name not in allowed and getattr(self, f.name) is not None]

    def check_volumes(self) -> None:
        """Kubeflow pairs volumes with mounts by position."""
        volumes, mounts = len(self.volumes or []), len(self.volume_mounts or [])
        if volumes != mounts:
            raise ValueError(f"Volumes and VolumeMounts must be the same length: {volumes} vs. {mounts}")


def build(
    ref: kinds.KindRef,
    builder: Builder,
    *,
    name: str | None,
    namespace: str,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The job Kubeflow's create_job builds from a function or an image; ValueError for A.5's refusals."""
    _check(ref, builder, name)
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels is not None:
        metadata["labels"] = dict(labels)
    if annotations is not None:
        metadata["annotations"] = dict(annotations)
    template = pod_template(ref, builder)
    spec: dict[str, Any] = {"runPolicy": {}}
    if ref.kind == "TFJob":
        spec["tfReplicaSpecs"] = _tf_replicas(builder, template)
    elif ref.kind == "PyTorchJob":
        spec["pytorchReplicaSpecs"] = _master_and_workers(builder, template)
        if builder.num_procs_per_worker is not None:
            spec["nprocPerNode"] = str(builder.num_procs_per_worker)  # a string on the wire (A.4)
    elif ref.kind == "XGBoostJob":
        spec["xgbReplicaSpecs"] = _master_and_workers(builder, template)
    elif ref.kind == "PaddleJob":
        spec["paddleReplicaSpecs"] = {"Worker": _replicas(builder.num_workers or 1, template)}  # collective
    else:
        spec["jobMode"] = "MXTrain"
        servers = builder.num_ps_replicas or 1
        spec["mxReplicaSpecs"] = {
            "Scheduler": _replicas(1, template),
            "Server": _replicas(servers, template),
            "Worker": _replicas(builder.num_workers or 1, template),
        }
    return {"apiVersion": ref.api_version, "kind": ref.kind, "metadata": metadata, "spec": spec}


def _check(ref: kinds.KindRef, builder: Builder, name: str | None) -> None:
    if name is None:
        raise ValueError("Job name must be set to configure Job from function or image")
    if builder.num_workers is None or builder.num_workers < 1:
        raise ValueError(f"At least one Worker for {ref.kind} must be set")
    supported = FUNCTION_KINDS if builder.train_func is not None else IMAGE_KINDS
    if ref.kind not in supported:
        mode = "function" if builder.train_func is not None else "image"
        raise ValueError(f"{ref.kind} can't be created in {mode} mode: supported are {', '.join(supported)}")
    if ref.kind != "PyTorchJob" and builder.num_procs_per_worker is not None:
        raise ValueError(f"num_procs_per_worker can't be set for {ref.kind}")
    if ref.kind != "TFJob" and builder.num_chief_replicas is not None:
        raise ValueError(f"num_chief_replicas can't be set for {ref.kind}")
    if ref.kind not in ("TFJob", "MXJob") and builder.num_ps_replicas is not None:
        raise ValueError(f"num_ps_replicas can't be set for {ref.kind}")
    function: object = builder.train_func  # typed Callable, but a notebook may pass anything
    if function is not None and not callable(function):
        raise ValueError(f"Training function must be callable, got function type: {type(function)}")


def pod_template(ref: kinds.KindRef, builder: Builder) -> dict[str, Any]:
    """The one pod template every replica type shares: the kind's main container, Istio sidecar off."""
    image = builder.base_image or BASE_IMAGES.get(ref.kind)
    container: dict[str, Any] = {"name": ref.default_container, "image": image}
    if builder.train_func is not None:
        container["command"] = list(COMMAND)
        container["args"] = [function_script(builder, entrypoint=_entrypoint(ref, builder))]
    if builder.env_vars is not None:
        container["env"] = _env(builder.env_vars)
    if builder.volume_mounts is not None:
        container["volumeMounts"] = to_wire(list(builder.volume_mounts))
    if builder.resources_per_worker is not None:
        container["resources"] = _resources(builder.resources_per_worker)
    pod: dict[str, Any] = {"containers": [container]}
    if builder.volumes is not None:
        pod["volumes"] = to_wire(list(builder.volumes))
    return {"metadata": {"annotations": {ISTIO_SIDECAR_INJECTION: "false"}}, "spec": pod}


def _entrypoint(ref: kinds.KindRef, builder: Builder) -> str:
    """torchrun for distributed PyTorch (several workers or processes), else plain `python -u`."""
    distributed = (builder.num_workers or 1) > 1 or builder.num_procs_per_worker is not None
    return ENTRYPOINT_TORCH if ref.kind == "PyTorchJob" and distributed else ENTRYPOINT_PYTHON


def function_script(builder: Builder, *, entrypoint: str) -> str:
    """The `bash -c` script that writes the function's source to a file and runs it (with its parameters)."""
    function = builder.train_func
    assert function is not None
    source = textwrap.dedent(inspect.getsource(function))  # a function defined in a nested scope is indented
    arguments = "" if builder.parameters is None else str(builder.parameters)  # a Python literal, as Kubeflow
    script = _RUN_SCRIPT.format(code=f"{source}\n{function.__name__}({arguments})\n", entrypoint=entrypoint)
    if builder.packages_to_install is not None:
        packages = " ".join(str(p) for p in builder.packages_to_install)
        script = _PIP_PREAMBLE.format(index=builder.pip_index_url, packages=packages) + script
    return script


def _env(env_vars: Any) -> Any:
    """A dict becomes name/value pairs; a list is kept (kubernetes client objects turned into JSON)."""
    if env_vars and isinstance(env_vars, Mapping):
        return [{"name": k, "value": v} for k, v in env_vars.items()]
    return to_wire(env_vars)


def _resources(resources: Any) -> Any:
    """A dict is Kubeflow's shorthand: keys lower-cased, `gpu` = `nvidia.com/gpu`, requests = limits."""
    if not isinstance(resources, Mapping):
        return to_wire(resources)
    amounts = {str(k).lower(): v for k, v in resources.items()}
    if "gpu" in amounts:
        amounts["nvidia.com/gpu"] = amounts.pop("gpu")
    return {"limits": amounts, "requests": dict(amounts)}


def _replicas(count: int, template: Mapping[str, Any]) -> dict[str, Any]:
    return {"replicas": count, "template": template}


def _tf_replicas(builder: Builder, template: Mapping[str, Any]) -> dict[str, Any]:
    """Chief and PS when asked for, then the Workers, all on the same template."""
    replicas: dict[str, Any] = {}
    if builder.num_chief_replicas is not None:
        replicas["Chief"] = _replicas(builder.num_chief_replicas, template)
    if builder.num_ps_replicas is not None:
        replicas["PS"] = _replicas(builder.num_ps_replicas, template)
    replicas["Worker"] = _replicas(builder.num_workers or 1, template)
    return replicas


def _master_and_workers(builder: Builder, template: Mapping[str, Any]) -> dict[str, Any]:
    """Always one Master, then `num_workers - 1` Workers: the Master counts as a worker (A.6)."""
    replicas = {"Master": _replicas(1, template)}
    if (builder.num_workers or 1) > 1:
        replicas["Worker"] = _replicas((builder.num_workers or 1) - 1, template)
    return replicas


def to_wire(value: Any) -> Any:
    """JSON data for `value`: kubernetes/Kubeflow client objects through the client's own sanitizer."""
    if hasattr(value, "openapi_types"):
        from kubernetes.client import ApiClient  # only when such an object is passed in

        return ApiClient().sanitize_for_serialization(value)  # type: ignore[no-untyped-call,unused-ignore]
    if isinstance(value, Mapping):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value
