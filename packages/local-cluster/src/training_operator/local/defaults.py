"""Defaulting for built-in types, the fields a real server fills in and clients read back.

Pure and in place. Only defaults that clients or the operator look at are set (restartPolicy, grace period,
service type/clusterIP/targetPort, Job completions/parallelism/backoffLimit and its selector), since a
missing default is the kind of difference that makes a controller behave differently than on a cluster.
"""

import base64
import ipaddress
import uuid
from typing import Any

JOB_CONTROLLER_UID = "batch.kubernetes.io/controller-uid"
JOB_NAME = "batch.kubernetes.io/job-name"


def default_pod_spec(spec: dict[str, Any]) -> None:
    """PodSpec defaults from k8s.io/kubernetes/pkg/apis/core/v1/defaults.go."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind) or []:
            container.setdefault("terminationMessagePath", "/dev/termination-log")
            container.setdefault("terminationMessagePolicy", "File")
            container.setdefault("imagePullPolicy", "IfNotPresent")
            container.setdefault("resources", {})
            for port in container.get("ports") or []:
                port.setdefault("protocol", "TCP")
            limits = container["resources"].get("limits")
            if limits and "requests" not in container["resources"]:
                container["resources"]["requests"] = dict(limits)


def default_pod(pod: dict[str, Any]) -> None:
    """Pod defaults plus the initial Pending status a freshly created pod has."""
    default_pod_spec(pod.setdefault("spec", {}))
    status = pod.setdefault("status", {})
    status.setdefault("phase", "Pending")
    status.setdefault("qosClass", "BestEffort")


class ClusterIPs:
    """Hands out service ClusterIPs from 10.96.0.0/16 (recorded only: nothing routes to them)."""

    def __init__(self) -> None:
        self._next = int(ipaddress.IPv4Address("10.96.0.10"))

    def allocate(self) -> str:
        """The next unused address."""
        self._next += 1
        return str(ipaddress.IPv4Address(self._next))


def default_service(service: dict[str, Any], ips: ClusterIPs) -> None:
    """Service type, ClusterIP, ports' protocol and targetPort."""
    spec = service.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName" and "clusterIP" not in spec:
        spec["clusterIP"] = ips.allocate()
    if "clusterIP" in spec:
        spec.setdefault("clusterIPs", [spec["clusterIP"]])
    for port in spec.get("ports") or []:
        port.setdefault("protocol", "TCP")
        port.setdefault("targetPort", port.get("port"))
    service.setdefault("status", {"loadBalancer": {}})


def default_job(job: dict[str, Any]) -> None:
    """Job defaults, including the generated selector and template labels (manualSelector unset)."""
    spec = job.setdefault("spec", {})
    spec.setdefault("parallelism", 1)
    spec.setdefault("completions", spec["parallelism"] if "completions" not in spec else spec["completions"])
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    template = spec.setdefault("template", {})
    default_pod_spec(template.setdefault("spec", {}))
    if not spec.get("manualSelector"):
        uid = job["metadata"]["uid"]
        name = job["metadata"]["name"]
        labels = template.setdefault("metadata", {}).setdefault("labels", {})
        labels.update({JOB_CONTROLLER_UID: uid, JOB_NAME: name, "controller-uid": uid, "job-name": name})
        spec.setdefault("selector", {"matchLabels": {JOB_CONTROLLER_UID: uid}})


def default_secret(secret: dict[str, Any]) -> None:
    """`stringData` is write-only: merged into base64 `data`, as the API server does."""
    secret.setdefault("type", "Opaque")
    string_data = secret.pop("stringData", None) or {}
    if string_data:
        data = secret.setdefault("data", {}) or {}
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret["data"] = data


def default_namespace(namespace: dict[str, Any]) -> None:
    """Namespaces carry the `kubernetes` finalizer and phase Active."""
    namespace.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    namespace.setdefault("status", {}).setdefault("phase", "Active")
    labels = namespace["metadata"].setdefault("labels", {})
    labels.setdefault("kubernetes.io/metadata.name", namespace["metadata"]["name"])


def apply_builtin_defaults(resource: str, obj: dict[str, Any], ips: ClusterIPs) -> None:
    """Dispatch to the per-type defaulting."""
    if resource == "/pods":
        default_pod(obj)
    elif resource == "/services":
        default_service(obj, ips)
    elif resource == "batch/jobs":
        default_job(obj)
    elif resource == "/secrets":
        default_secret(obj)
    elif resource == "/namespaces":
        default_namespace(obj)


def new_uid() -> str:
    """A fresh object uid."""
    return str(uuid.uuid4())
