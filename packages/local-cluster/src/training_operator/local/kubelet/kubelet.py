"""The process kubelet: runs the pods bound to the node and reports their status.

It follows pod changes from the storage feed (in-process, like a watch without the wire), keeps one
`PodWorker` per pod uid, turns graceful deletion into SIGTERM/grace/SIGKILL followed by the final delete,
regenerates /etc/hosts of running pods when pods or services of their namespace change, and serves pod
logs. On start, pods left Running/Pending by a previous process are failed with reason NodeLost: their
processes did not survive, as on a node that went away.
"""

import asyncio
import base64
import contextlib
import copy
import datetime
import logging
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from training_operator.local import deletion, errors, metadata
from training_operator.local.kubelet import containerlogs, hosts, standins, status
from training_operator.local.kubelet import network as pod_network
from training_operator.local.kubelet.runtime import PodWorker
from training_operator.local.registry import Registry
from training_operator.local.storage import Change

log = logging.getLogger(__name__)


class Kubelet:
    """Implements the API server's `LogSource` too."""

    def __init__(
        self,
        registry: Registry,
        root: Path,
        *,
        node_name: str,
        network: str = "auto",
        backoff_base: float = 10.0,
        backoff_cap: float = 300.0,
    ) -> None:
        self.registry = registry
        self.root = root
        self.node_name = node_name
        self.network_mode = network
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.host_ip = "127.0.0.1"
        self.network: pod_network.PodNetwork = pod_network.LoopbackNetwork()  # replaced in run()
        self.workers: dict[str, PodWorker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._hosts_dirty: set[str] = set()
        self.ready = asyncio.Event()
        pods = registry.catalog.by_key("/pods")
        assert pods is not None
        self.pods = pods
        node = registry.storage.get("/nodes", "", node_name) or {}
        self.allocatable: dict[str, str] = dict(node.get("status", {}).get("allocatable") or {})
        self.standins = standins.install(root / "bin")

    # -- helpers for workers -------------------------------------------------------------------------
    def sandbox_dir(self, pod: dict[str, Any]) -> Path:
        """Where a pod's volumes, hosts file and logs live (kept after the pod ends, for logs)."""
        meta = pod["metadata"]
        return self.root / f"{meta['namespace']}_{meta['name']}_{meta['uid']}"

    @staticmethod
    def log_path(sandbox: Path, container: str, attempt: int) -> Path:
        """One log file per container start."""
        return sandbox / "logs" / container / f"{attempt}.log"

    def backoff(self, restart: int) -> float:
        """Kubernetes crash-loop back-off: immediate first restart, then base, doubling, capped."""
        if restart <= 1:
            return 0.0
        return float(min(self.backoff_base * 2 ** (restart - 2), self.backoff_cap))

    def text_lookup(self, namespace: str) -> Callable[[str, str], dict[str, str] | None]:
        """ConfigMap/Secret data as text, for env vars."""

        def lookup(kind: str, name: str) -> dict[str, str] | None:
            raw = self.raw_lookup(namespace)(kind, name)
            return None if raw is None else {k: v.decode(errors="replace") for k, v in raw.items()}

        return lookup

    def raw_lookup(self, namespace: str) -> Callable[[str, str], dict[str, bytes] | None]:
        """ConfigMap/Secret data as bytes, for volumes."""

        def lookup(kind: str, name: str) -> dict[str, bytes] | None:
            obj = self.registry.storage.get(
                "/configmaps" if kind == "ConfigMap" else "/secrets", namespace, name
            )
            if obj is None:
                return None
            if kind == "Secret":
                return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
            data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
            data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
            return data

        return lookup

    def write_hosts(self, worker: PodWorker) -> None:
        """(Re)write a pod's /etc/hosts in place, so its bind mount sees the new content."""
        if worker.pod_ip is None:
            return
        pods = list(self.registry.storage.items("/pods", worker.namespace))
        services = list(self.registry.storage.items("/services", worker.namespace))
        content = hosts.hosts_file(worker.pod, worker.pod_ip, pods, services)
        path = worker.sandbox / "etc" / "hosts"
        if not path.exists() or path.read_text() != content:
            # Never truncate first: a process resolving a peer at that instant would find an empty file.
            # One write over the old bytes, then cut what is left of a longer old file.
            data = content.encode()
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(descriptor, data, 0)
                os.ftruncate(descriptor, len(data))
            finally:
                os.close(descriptor)

    def status_dirty(self, worker: PodWorker) -> None:
        """Queue a status write for a worker's pod."""
        self._dirty.add(worker.uid)
        self._wake.set()

    # -- main loop ----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Fail leftovers, then follow pod changes until cancelled."""
        self.network = await pod_network.choose(self.network_mode, self.root.parent)
        self.root.mkdir(parents=True, exist_ok=True)
        await self._fail_lost_pods()
        storage = self.registry.storage
        storage.listen(self._on_change)
        for pod in list(storage.items("/pods")):
            self._reconcile_soon(pod)
        self.ready.set()
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._flush()
        finally:
            storage.unlisten(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource == "/pods":
            self._reconcile_soon(change.object, deleted=change.type == "DELETED")
            self._hosts_dirty.add(change.object["metadata"]["namespace"])
            self._wake.set()
        elif change.resource == "/services":
            self._hosts_dirty.add(change.object["metadata"]["namespace"])
            self._wake.set()

    def _reconcile_soon(self, pod: dict[str, Any], *, deleted: bool = False) -> None:
        if pod["spec"].get("nodeName") != self.node_name:
            return
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if deleted:
            if worker is not None:
                asyncio.get_running_loop().create_task(self._stop_worker(worker, 0))
            return
        if worker is not None:
            worker.pod = pod
            if pod["metadata"].get("deletionTimestamp") and not worker.terminating:
                grace = pod["metadata"].get("deletionGracePeriodSeconds", 0)
                asyncio.get_running_loop().create_task(self._delete_after_stop(worker, grace))
            return
        if pod["metadata"].get("deletionTimestamp"):
            asyncio.get_running_loop().create_task(self._finalize_delete(pod))
            return
        if pod.get("status", {}).get("phase") in ("Succeeded", "Failed"):
            return
        worker = PodWorker(self, pod)
        self.workers[uid] = worker
        self._tasks[uid] = asyncio.get_running_loop().create_task(self._run_worker(worker))

    async def _run_worker(self, worker: PodWorker) -> None:
        try:
            await worker.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("pod %s/%s failed in the kubelet", worker.namespace, worker.name)
            worker._finish("Failed", "KubeletError", str(exc))

    async def _stop_worker(self, worker: PodWorker, grace: float) -> None:
        await worker.terminate(grace)
        task = self._tasks.pop(worker.uid, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._release(worker)

    async def _release(self, worker: PodWorker) -> None:
        """What a pod holds only while it runs: its network namespace and its temporary files."""
        await self.network.detach(worker.uid)
        await asyncio.to_thread(shutil.rmtree, worker.tmpdir, ignore_errors=True)

    async def _delete_after_stop(self, worker: PodWorker, grace: float) -> None:
        await self._stop_worker(worker, grace)
        await self._flush()
        self.workers.pop(worker.uid, None)
        await self._finalize_delete(worker.pod)

    async def _finalize_delete(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        current = self.registry.find(self.pods, meta["namespace"], meta["name"])
        if current is None or current["metadata"]["uid"] != meta["uid"]:
            return
        with contextlib.suppress(errors.ApiError):
            await deletion.delete(
                self.registry,
                self.pods,
                meta["namespace"],
                meta["name"],
                {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
            )

    async def _flush(self) -> None:
        for namespace in list(self._hosts_dirty):
            self._hosts_dirty.discard(namespace)
            for worker in list(self.workers.values()):
                if worker.namespace == namespace and not worker.terminating:
                    self.write_hosts(worker)
        for uid in list(self._dirty):
            self._dirty.discard(uid)
            dirty = self.workers.get(uid)
            if dirty is not None:
                await self._write_status(dirty)

    async def _write_status(self, worker: PodWorker) -> None:
        pod = self.registry.find(self.pods, worker.namespace, worker.name)
        if pod is None or pod["metadata"]["uid"] != worker.uid:
            return
        new_status = status.render(
            phase=worker.phase,
            init=worker.init,
            main=worker.main,
            existing=pod.get("status") or {},
            pod_ip=worker.pod_ip,
            host_ip=self.host_ip,
            start_time=worker.start_time,
            now=metadata.timestamp(datetime.datetime.now(datetime.UTC)),
            reason=worker.reason,
            message=worker.message,
        )
        if new_status != pod.get("status"):
            try:
                await self.registry.write(self.pods, pod, {**pod, "status": new_status}, sub="status")
            except errors.ApiError as exc:
                if exc.code == 409:
                    self.status_dirty(worker)
        if worker.phase in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp"):
            task = self._tasks.get(worker.uid)
            if task is None or task.done():
                self.workers.pop(worker.uid, None)
                self._tasks.pop(worker.uid, None)
                await self._release(worker)

    async def _fail_lost_pods(self) -> None:
        now = metadata.timestamp(datetime.datetime.now(datetime.UTC))
        for pod in list(self.registry.storage.items("/pods")):
            if pod["spec"].get("nodeName") != self.node_name:
                continue
            if pod["metadata"].get("deletionTimestamp"):
                await self._finalize_delete(pod)
                continue
            if pod.get("status", {}).get("phase") not in ("Pending", "Running") or not pod["status"].get(
                "startTime"
            ):
                continue
            new = copy.deepcopy(pod)
            st = new["status"]
            st.update(
                phase="Failed",
                reason="NodeLost",
                message="The local cluster restarted; this pod's processes did not survive (node lost).",
            )
            for key in ("initContainerStatuses", "containerStatuses"):
                for container in st.get(key) or []:
                    if "terminated" not in container.get("state", {}):
                        container["state"] = {
                            "terminated": {"exitCode": 137, "reason": "NodeLost", "finishedAt": now}
                        }
                    container["ready"] = False
            for condition in st.get("conditions") or []:
                if condition["type"] in ("Ready", "ContainersReady"):
                    condition.update(status="False", reason="PodCompleted", lastTransitionTime=now)
            await self.registry.write(self.pods, pod, new, sub="status")

    async def shutdown(self) -> None:
        """Stop every pod's processes (short grace) and remove the pod network."""
        for worker in list(self.workers.values()):
            with contextlib.suppress(Exception):
                await self._stop_worker(
                    worker, min(2.0, float(worker.pod["spec"].get("terminationGracePeriodSeconds", 30)))
                )
        self.workers.clear()
        with contextlib.suppress(Exception):
            await self.network.teardown()

    # -- LogSource --------------------------------------------------------------------------------------
    def stream(
        self,
        namespace: str,
        name: str,
        *,
        container: str | None,
        follow: bool,
        tail_lines: int | None,
        previous: bool,
        limit_bytes: int | None,
    ) -> AsyncIterator[bytes]:
        """pods/log: the current (or previous) attempt's file, optionally followed."""
        pod = self.registry.find(self.pods, namespace, name)
        if pod is None:
            raise errors.not_found("", "pods", name)
        worker = self.workers.get(pod["metadata"]["uid"])
        return containerlogs.stream(
            pod,
            self.sandbox_dir(pod),
            worker,
            container=container,
            follow=follow,
            tail_lines=tail_lines,
            previous=previous,
            limit_bytes=limit_bytes,
        )
