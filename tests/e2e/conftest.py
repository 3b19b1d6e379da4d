"""The end-to-end suite's world: one local cluster with per-pod network namespaces and one operator process
(`training-operator run`) for the whole session, every generated CRD installed, and helpers to submit an
example job exactly as a user would and to read back its conditions, pods and logs."""

import copy
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml

from training_operator.local.testing import BackgroundCluster
from training_operator.unified.testing import operator_process

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CRDS = ROOT / "manifests" / "base" / "crds"
WORKDIR_ANNOTATION = "local.training-operator.io/working-dir"
JOB_NAME_LABEL = "training.kubeflow.org/job-name"
FINISHED = ("Succeeded", "Failed")
GROUP = "kubeflow.org"
# An MPIJob's workers run this sshd locally; the job's Secret, mounted at sshAuthMountPath /root/.ssh, holds
# its host key and authorized_keys.
SSHD_CONFIG = """Port 22
HostKey /root/.ssh/id_rsa
PermitRootLogin yes
StrictModes no
UsePAM no
PidFile none
AuthorizedKeysFile /root/.ssh/authorized_keys
PasswordAuthentication no
"""
# The images' ssh_config would say this; locally the host's ssh_config is in force. The wrapper records the
# arguments its MPI hands it, and stands in for Intel's Hydra by adding I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS
# (MPICH's Hydra does not read Intel's name), proving that value is valid for ssh.
SSH_WRAPPER = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/ssh-arguments"
exec ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \\
  ${I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS:-} "$@"
"""


def _namespaces_unavailable() -> str:
    if os.geteuid() != 0:
        return "per-pod network namespaces need root"
    missing = [tool for tool in ("ip", "nsenter", "unshare", "mount") if shutil.which(tool) is None]
    return f"missing tools: {', '.join(missing)}" if missing else ""


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if reason := _namespaces_unavailable():
        pytest.skip(reason)
    state = tmp_path_factory.mktemp("local-cluster")
    with BackgroundCluster(state, network="namespaces", backoff_base=1.0, backoff_cap=4.0) as running:
        yield running


@pytest.fixture(scope="session")
def kube(cluster: Any) -> Iterator[kubernetes.client.ApiClient]:
    client = kubernetes.config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    yield client
    client.close()


@pytest.fixture(scope="session")
def crds(kube: kubernetes.client.ApiClient) -> list[str]:
    api = kubernetes.client.ApiextensionsV1Api(kube)
    installed = []
    for path in sorted(CRDS.glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        api.create_custom_resource_definition(body)
        installed.append(body["metadata"]["name"])
    assert installed, f"no CRDs under {CRDS}: generate them with python -m training_operator.core.crd"
    return installed


@pytest.fixture(scope="session")
def operator(cluster: Any, crds: list[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    with operator_process(cluster.kubeconfig_path, log_path) as process:
        yield log_path
    if process.returncode not in (0, -15):
        print(log_path.read_text()[-5000:])


class Jobs:
    """Submit, follow and inspect jobs through the public API only."""

    def __init__(self, kube: kubernetes.client.ApiClient, kubeconfig: Path) -> None:
        self.conditions = conditions
        self.custom = kubernetes.client.CustomObjectsApi(kube)
        self.core = kubernetes.client.CoreV1Api(kube)
        self.kubeconfig = kubeconfig

    def state(self, job: dict) -> str:
        """The STATE column of `kubectl get` for the job: the printer column as the server renders it."""
        kubectl = shutil.which("kubectl")
        if kubectl is None:
            pytest.skip("kubectl is not installed")
        command = [kubectl, "--kubeconfig", str(self.kubeconfig), "get", plural(job), job["metadata"]["name"]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
        header, row = (line.split() for line in done.stdout.splitlines()[:2])
        return row[header.index("STATE")]

    def submit(
        self, example: str, *, name: str, change: Callable[[dict[str, Any]], None] | None = None
    ) -> dict:
        """Create the example's job under a new name, with its folder as the pods' working directory."""
        path = EXAMPLES / example
        body = copy.deepcopy(yaml.safe_load(path.read_text()))
        body["metadata"]["name"] = name
        body["metadata"]["namespace"] = "default"
        for spec in replica_specs(body).values():
            meta = spec["template"].setdefault("metadata", {})
            meta.setdefault("annotations", {})[WORKDIR_ANNOTATION] = str(path.parent)
        if change is not None:
            change(body)
        group, version = body["apiVersion"].split("/")
        return self.custom.create_namespaced_custom_object(group, version, "default", plural(body), body)

    def wait(self, job: dict, *, until: Callable[[dict], bool] | None = None, timeout: float = 240) -> dict:
        """The job once `until` holds (default: Succeeded or Failed), following a watch, not polling."""
        until = until or finished
        current: dict = {}
        for _, current in self._job_events(job, timeout):
            if until(current):
                return current
        name = job["metadata"]["name"]
        pytest.fail(f"{name} did not get there in {timeout}s; conditions: {conditions(current)}")

    def wait_deleted(self, job: dict, *, timeout: float = 60) -> None:
        """Return once the job object is gone (TTL)."""
        for event_type, _ in self._job_events(job, timeout):
            if event_type == "DELETED":
                return
        pytest.fail(f"{job['metadata']['name']} was not deleted within {timeout}s")

    def _job_events(self, job: dict, timeout: float) -> Iterator[tuple[str, dict]]:
        """The job as it is now (("DELETED", {}) when it is gone), then every change from that version on."""
        group, version = job["apiVersion"].split("/")
        name = job["metadata"]["name"]
        listing = self.custom.list_namespaced_custom_object(
            group, version, "default", plural(job), field_selector=f"metadata.name={name}"
        )
        yield ("EXISTS", listing["items"][0]) if listing["items"] else ("DELETED", {})
        watch = kubernetes.watch.Watch()
        try:
            yield from (
                (event["type"], event["object"])
                for event in watch.stream(
                    self.custom.list_namespaced_custom_object,
                    group,
                    version,
                    "default",
                    plural(job),
                    field_selector=f"metadata.name={name}",
                    resource_version=listing["metadata"]["resourceVersion"],
                    timeout_seconds=int(timeout),
                )
            )
        finally:
            watch.stop()

    def wait_pods(self, job: dict, until: Callable[[list[Any]], bool], *, timeout: float = 60) -> list[Any]:
        """The job's pods once `until(pods)` holds, re-checked on every pod event."""
        selector = f"{JOB_NAME_LABEL}={job['metadata']['name']}"
        listing = self.core.list_namespaced_pod("default", label_selector=selector)
        if until(listing.items):
            return list(listing.items)
        watch = kubernetes.watch.Watch()
        for _ in watch.stream(
            self.core.list_namespaced_pod,
            "default",
            label_selector=selector,
            resource_version=listing.metadata.resource_version,
            timeout_seconds=int(timeout),
        ):
            current = self.core.list_namespaced_pod("default", label_selector=selector).items
            if until(current):
                watch.stop()
                return list(current)
        pytest.fail(f"pods of {job['metadata']['name']} never matched within {timeout}s")

    def pods(self, job: dict) -> list[Any]:
        """The job's pods, by name."""
        selector = f"{JOB_NAME_LABEL}={job['metadata']['name']}"
        items = self.core.list_namespaced_pod("default", label_selector=selector).items
        return sorted(items, key=lambda pod: pod.metadata.name)

    def log(self, pod_name: str) -> str:
        """The pod's log (current container run)."""
        return self.core.read_namespaced_pod_log(pod_name, "default")


def replica_specs(body: dict) -> dict[str, Any]:
    """The replica map of any kind (`pytorchReplicaSpecs`, `mpiReplicaSpecs`, ...)."""
    return next(value for key, value in body["spec"].items() if key.endswith("ReplicaSpecs"))


def plural(body: dict) -> str:
    """Every kind's plural is its lower-case kind plus `s`."""
    return body["kind"].lower() + "s"


def conditions(job: dict) -> list[tuple[str, str]]:
    """(type, status) of each condition, in order."""
    return [(c["type"], c["status"]) for c in (job.get("status") or {}).get("conditions") or []]


def finished(job: dict) -> bool:
    """Succeeded=True or Failed=True."""
    return any(kind in FINISHED and status == "True" for kind, status in conditions(job))


@pytest.fixture
def mpi_folder(tmp_path: Path) -> Path:
    """A folder with `sshd_config` for MPIJob workers and the `ssh` wrapper their launcher's MPI runs."""
    (tmp_path / "sshd_config").write_text(SSHD_CONFIG)
    (tmp_path / "ssh").write_text(SSH_WRAPPER)
    (tmp_path / "ssh").chmod(0o755)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    return tmp_path


@pytest.fixture(scope="session")
def jobs(kube: kubernetes.client.ApiClient, operator: Path, cluster: Any) -> Jobs:
    return Jobs(kube, Path(cluster.kubeconfig_path))
