"""The SDK tests' world: a real local cluster (training_operator.local) in a background thread.

The SDK clients block (sync) or run on the test's loop (async), so the cluster runs on its own loop in a
thread (`BackgroundCluster`). Tests reach it through the official kubernetes client to arrange state the
operator would write (conditions, pods, events), and read `/debug/requests` to prove which requests the SDK
made. Waiting is done on watches with deadlines, never on sleeps.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kubernetes
import yaml

from training_operator.core import labels

ROOT = Path(__file__).resolve().parents[4]
CRDS = ROOT / "manifests" / "base" / "crds"
GROUP = "kubeflow.org"
_names = itertools.count(1)


def a_pytorch_job(
    name: str = "mnist", namespace: str | None = None, workers: int = 1, command: list[str] | None = None
) -> dict[str, Any]:
    """A PyTorchJob body with a Master and `workers` Workers (nothing runs it unless an operator does)."""
    container = {"name": "pytorch", "image": "pytorch:2", "command": command or ["true"]}
    template = {"spec": {"containers": [container]}}
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": metadata,
        "spec": {
            "runPolicy": {},
            "pytorchReplicaSpecs": {
                "Master": {"replicas": 1, "template": template},
                "Worker": {"replicas": workers, "template": template},
            },
        },
    }


def install_crds(kube: kubernetes.client.ApiClient, *, skip: tuple[str, ...] = ()) -> list[str]:
    """Create the generated CRDs (manifests/base/crds), leaving out the plurals in `skip`."""
    api = kubernetes.client.ApiextensionsV1Api(kube)
    installed = []
    for path in sorted(CRDS.glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        if body["spec"]["names"]["plural"] in skip:
            continue
        api.create_custom_resource_definition(body)
        installed.append(body["spec"]["names"]["plural"])
    assert installed, f"no CRDs under {CRDS}"
    return installed


class World:
    """One namespace of the shared cluster, and the operator-side writes tests need to arrange."""

    def __init__(self, cluster: Any, kube: kubernetes.client.ApiClient, namespace: str, home: Path) -> None:
        self.cluster = cluster
        self.kube = kube
        self.namespace = namespace
        self.core = kubernetes.client.CoreV1Api(kube)
        self.custom = kubernetes.client.CustomObjectsApi(kube)
        self.kubeconfig = write_kubeconfig(Path(cluster.kubeconfig_path), home / "kubeconfig", namespace)
        # (job, condition type) → when it first became True: kept across writes, as an operator keeps it
        self._transitions: dict[tuple[str, str], str] = {}

    # --- the request log --------------------------------------------------------------------------------

    def debug(self, method: str, path: str, body: Any = None) -> Any:
        """Call a /debug hook of the local cluster with its token."""
        response = self.kube.rest_client.pool_manager.request(
            method,
            self.cluster.url + path,
            body=None if body is None else json.dumps(body),
            headers={"Authorization": f"Bearer {self.cluster.token}", "Content-Type": "application/json"},
        )
        assert response.status < 300, response.data
        return json.loads(response.data or b"{}")

    def reset_requests(self) -> None:
        """Zero the cluster's request counters."""
        self.debug("DELETE", "/debug/requests")

    def requests(self) -> dict[str, int]:
        """Requests served since the last reset, by `verb resource` (e.g. `watch pytorchjobs`)."""
        return dict(self.debug("GET", "/debug/requests")["requests"])

    def fault(self, **rule: Any) -> None:
        """Install a fault rule (see training_operator.local.faults)."""
        self.debug("POST", "/debug/faults", rule)

    def clear_faults(self) -> None:
        """Remove every fault rule; stalled watches end."""
        self.debug("DELETE", "/debug/faults")

    # --- what the operator would write ------------------------------------------------------------------

    def set_conditions(self, plural: str, name: str, *types: str, **status: Any) -> None:
        """Write `status.conditions` (each True) through the status subresource, as the operator does: a
        condition that stays True keeps its lastTransitionTime (rewriting it would be a new transition)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        conditions = [
            {
                "type": t,
                "status": "True",
                "reason": f"Job{t}",
                "message": f"job is {t.lower()}",
                "lastUpdateTime": now,
                "lastTransitionTime": self._transitions.setdefault((name, t), now),
            }
            for t in types
        ]
        self.custom.patch_namespaced_custom_object_status(
            GROUP,
            "v2beta1" if plural == "mpijobs" else "v1",
            self.namespace,
            plural,
            name,
            {"status": {"conditions": conditions, **status}},
        )

    def add_pod(
        self,
        name: str,
        pod_labels: dict[str, str],
        *,
        script: str = "true",
        containers: tuple[str, ...] = ("pytorch",),
        pending: bool = False,
        restart_policy: str = "Never",
    ) -> None:
        """A pod the kubelet runs as local processes; the first container runs `script` with `sh -c`.

        `pending` gives it a node selector no node has, so it stays Pending (Unschedulable).
        """
        spec: dict[str, Any] = {
            "restartPolicy": restart_policy,
            "containers": [
                {"name": c, "image": "local", "command": ["sh", "-c", script if i == 0 else "echo noise"]}
                for i, c in enumerate(containers)
            ],
        }
        if pending:
            spec["nodeSelector"] = {"no-such": "node"}
        body = {"metadata": {"name": name, "labels": pod_labels}, "spec": spec}
        self.core.create_namespaced_pod(self.namespace, body)

    def job_pods(self, job: str = "mnist", *, pending_worker: bool = False) -> None:
        """master-0, worker-0, worker-1 of a PyTorchJob, each printing `<type> <index> says hi`, finished."""
        for replica_type, index, role in (("master", 0, "master"), ("worker", 0, None), ("worker", 1, None)):
            pod_labels = {
                labels.JOB_NAME: job,
                labels.REPLICA_TYPE: replica_type,
                labels.REPLICA_INDEX: str(index),
            }
            if role:
                pod_labels[labels.JOB_ROLE] = role
            name = f"{job}-{replica_type}-{index}"
            pending = pending_worker and index == 1
            self.add_pod(
                name,
                pod_labels,
                script=f"echo {replica_type} {index} says hi",
                containers=("pytorch", "sidecar"),
                pending=pending,
            )
        for name in (f"{job}-master-0", f"{job}-worker-0", *(() if pending_worker else (f"{job}-worker-1",))):
            self.wait_pod(name, lambda pod: pod.status.phase == "Succeeded")

    def add_event(self, kind: str, name: str, message: str, *, reason: str = "Testing") -> None:
        """An event on an object of this namespace, stamped 2024-01-01 (for exact output)."""
        self.core.create_namespaced_event(
            self.namespace,
            {
                "metadata": {"name": f"{name}.{next(_names)}"},
                "involvedObject": {"kind": kind, "name": name, "namespace": self.namespace},
                "reason": reason,
                "message": message,
                "type": "Normal",
                "firstTimestamp": "2024-01-01T00:00:00Z",
                "lastTimestamp": "2024-01-01T00:00:00Z",
            },
        )

    def terminating_namespace(self) -> str:
        """A namespace being deleted (a finalizer holds it), where the server refuses creates with 403."""
        name = new_namespace(self.kube)
        self.core.create_namespaced_config_map(
            name, {"metadata": {"name": "held", "finalizers": ["sdk-tests/hold"]}}
        )
        self.core.delete_namespace(name)
        return name

    def get(self, plural: str, name: str, version: str = "v1") -> dict[str, Any] | None:
        """The stored object, or None."""
        try:
            found: dict[str, Any] = self.custom.get_namespaced_custom_object(
                GROUP, version, self.namespace, plural, name
            )
        except kubernetes.client.ApiException as error:
            if error.status == 404:
                return None
            raise
        return found

    def wait_pod(self, name: str, until: Callable[[Any], bool], *, within: int = 30) -> Any:
        """The pod once `until(pod)` holds, following a watch; fails after `within` seconds."""
        for pod in self._pod_versions(name, within):
            if until(pod):
                return pod
        raise AssertionError(f"pod {self.namespace}/{name} did not get there in {within}s")

    def _pod_versions(self, name: str, within: int) -> Iterator[Any]:
        listed = self.core.list_namespaced_pod(self.namespace, field_selector=f"metadata.name={name}")
        yield from listed.items
        watch = kubernetes.watch.Watch()
        yield from (
            event["object"]
            for event in watch.stream(
                self.core.list_namespaced_pod,
                self.namespace,
                field_selector=f"metadata.name={name}",
                resource_version=listed.metadata.resource_version,
                timeout_seconds=within,
            )
        )


def write_kubeconfig(source: Path, target: Path, namespace: str | None) -> Path:
    """A copy of the cluster's kubeconfig whose context defaults to `namespace` (None: no namespace)."""
    config = yaml.safe_load(source.read_text())
    for entry in config["contexts"]:
        if namespace is None:
            entry["context"].pop("namespace", None)
        else:
            entry["context"]["namespace"] = namespace
    target.write_text(yaml.safe_dump(config))
    return target


def new_namespace(kube: kubernetes.client.ApiClient) -> str:
    """A fresh namespace, so tests sharing one cluster never see each other's jobs."""
    name = f"t{next(_names)}"
    kubernetes.client.CoreV1Api(kube).create_namespace({"metadata": {"name": name}})
    return name
