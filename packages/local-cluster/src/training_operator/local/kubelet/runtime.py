"""One pod's life on the node: sandbox, volumes, init containers, containers, restarts, termination.

A `PodWorker` owns its processes and container records; it decides phases by the restart policy and asks
the kubelet to publish status. Processes start in their own session so SIGTERM/SIGKILL reach the whole
process group; when a container's main process exits, stragglers in its group are killed as a cgroup
teardown would.
"""

import asyncio
import contextlib
import datetime
import logging
import os
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from training_operator.local import events, metadata
from training_operator.local.kubelet import envvars, hosts, volumes
from training_operator.local.kubelet.status import ContainerRecord, exit_reason

if TYPE_CHECKING:
    from training_operator.local.kubelet.kubelet import Kubelet

log = logging.getLogger(__name__)
RETRY = 1.0


#: The working directory for containers that set none: on a cluster the image's WORKDIR holds the job's
#: scripts; locally the folder of the job file stands in for it. `training-operator local run` sets it on the
#: job, the docs show how with kubectl and the SDK; a pod template may set it too.
WORKDIR_ANNOTATION = "local.training-operator.io/working-dir"
LOCAL_COMMAND_REQUIRED = "LocalCommandRequired"
#: pod → its job, or pod → an MPIJob's launcher Job → the MPIJob
OWNER_DEPTH = 3


def _executable(program: str, path: str | None) -> bool:
    """Can `program` be exec'd (found on PATH or given as a file)?"""
    return shutil.which(program, path=path) is not None or os.path.isfile(program)


def _append(path: Path) -> BinaryIO:
    """The log file, opened for the child process to append to."""
    return path.open("ab")


class PodWorker:
    """Runs one pod; `run()` returns when the pod reached a terminal phase or was terminated."""

    def __init__(self, kubelet: "Kubelet", pod: dict[str, Any]) -> None:
        self.kubelet = kubelet
        self.pod = pod
        meta = pod["metadata"]
        self.uid: str = meta["uid"]
        self.namespace: str = meta["namespace"]
        self.name: str = meta["name"]
        self.sandbox: Path = kubelet.sandbox_dir(pod)
        #: the pod's TMPDIR, removed with its network once the pod is over (its logs stay in the sandbox)
        self.tmpdir: Path = self.sandbox / "tmp"
        self.hostname = hosts.pod_hostname(pod)
        spec = pod["spec"]
        self.policy: str = spec.get("restartPolicy", "Always")
        self.init = [
            ContainerRecord(c["name"], c.get("image", ""), init=True)
            for c in spec.get("initContainers") or []
        ]
        self.main = [
            ContainerRecord(c["name"], c.get("image", ""), init=False) for c in spec.get("containers") or []
        ]
        self.phase = "Pending"
        self.reason = ""
        self.message = ""
        self.pod_ip: str | None = None
        self.start_time: str | None = None
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.terminating = False
        self._killed: set[str] = set()
        self.changed = asyncio.Event()  # log followers wait on this

    def now(self) -> str:
        """The kubelet's clock as an RFC 3339 string."""
        return metadata.timestamp(datetime.datetime.now(datetime.UTC))

    def publish(self) -> None:
        """Ask the kubelet to write status, and wake log followers."""
        self.kubelet.status_dirty(self)
        self.changed.set()
        self.changed = asyncio.Event()

    # -- life cycle ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Sandbox and network, then init containers in order, then all containers together."""
        if self._reject_commandless():
            return
        (self.sandbox / "etc").mkdir(parents=True, exist_ok=True)
        (self.sandbox / "etc" / "resolv.conf").write_text(hosts.RESOLV_CONF)
        (self.sandbox / "logs").mkdir(exist_ok=True)
        self.tmpdir.mkdir(exist_ok=True)
        self.pod_ip = await self.kubelet.network.attach(self.uid)
        self.start_time = self.now()
        self.kubelet.write_hosts(self)
        self.publish()
        volume_paths = await self._volumes()
        deadline = self.pod["spec"].get("activeDeadlineSeconds")
        if deadline:
            asyncio.get_running_loop().call_later(float(deadline), self._deadline_exceeded)
        for record, container in zip(self.init, self.pod["spec"].get("initContainers") or [], strict=True):
            code = await self._run_container(record, container, volume_paths)
            if code != 0:
                if not self.terminating:
                    self._finish("Failed")
                return
        if self.terminating:
            return
        tasks = [
            asyncio.create_task(self._run_container(r, c, volume_paths))
            for r, c in zip(self.main, self.pod["spec"]["containers"], strict=True)
        ]
        codes = await asyncio.gather(*tasks)
        if -1 in codes:
            return  # a container cannot start (no command; run() rejects such pods before this)
        if not self.terminating:
            self._finish("Succeeded" if all(c == 0 for c in codes) else "Failed")

    def _reject_commandless(self) -> bool:
        """A container without `command` can never run here (no image, so no entrypoint): the pod fails at
        once with reason LocalCommandRequired, as a kubelet fails a pod it cannot admit, whatever its
        restartPolicy; waiting instead would leave the job at `Created` forever."""
        spec = self.pod["spec"]
        containers = [*(spec.get("initContainers") or []), *spec["containers"]]
        records = zip((*self.init, *self.main), containers, strict=True)
        missing = [(r, c) for r, c in records if not c.get("command")]
        if not missing:
            return False
        now = self.now()
        for record, container in missing:
            message = (
                f"the local cluster runs containers as local processes and pulls no images, so container "
                f"{record.name!r} (image {container.get('image')!r}) must set `command` to a program on "
                f"this machine"
            )
            terminated = {"exitCode": 128, "reason": LOCAL_COMMAND_REQUIRED, "message": message}
            record.state = {"terminated": {**terminated, "startedAt": now, "finishedAt": now}}
        first = missing[0][0].state["terminated"]["message"]
        events.record_soon(
            self.kubelet.registry,
            self.pod,
            reason=LOCAL_COMMAND_REQUIRED,
            component="kubelet",
            type_="Warning",
            message=first,
        )
        self._finish("Failed", LOCAL_COMMAND_REQUIRED, first)
        return True

    def _finish(self, phase: str, reason: str = "", message: str = "") -> None:
        if self.phase in ("Succeeded", "Failed"):
            return
        self.phase, self.reason, self.message = phase, reason, message
        for record in (*self.init, *self.main):
            record.ready = False
        self.publish()

    async def _volumes(self) -> dict[str, Path]:
        while True:
            try:
                return volumes.materialise(self.pod, self.sandbox, self.kubelet.raw_lookup(self.namespace))
            except volumes.VolumeError as exc:
                for record in self.init or self.main:
                    record.state = {
                        "waiting": {
                            "reason": "ContainerCreating",
                            "message": f"MountVolume.SetUp failed: {exc}",
                        }
                    }
                self.publish()
                await asyncio.sleep(RETRY)

    def _deadline_exceeded(self) -> None:
        if self.phase not in ("Succeeded", "Failed"):
            asyncio.get_running_loop().create_task(
                self.terminate(
                    int(self.pod["spec"].get("terminationGracePeriodSeconds", 30)),
                    phase=(
                        "Failed",
                        "DeadlineExceeded",
                        "Pod was active on the node longer than the specified deadline",
                    ),
                )
            )

    # -- one container ----------------------------------------------------------------------------------
    def _restarts(self, record: ContainerRecord, code: int) -> bool:
        if self.terminating or self.phase in ("Succeeded", "Failed"):
            return False
        if record.init:
            return code != 0 and self.policy != "Never"
        return self.policy == "Always" or (self.policy == "OnFailure" and code != 0)

    async def _run_container(
        self, record: ContainerRecord, container: dict[str, Any], volume_paths: dict[str, Path]
    ) -> int:
        while True:
            code = await self._start_once(record, container, volume_paths)
            if code is None:
                return -1
            if not self._restarts(record, code):
                return code
            record.restart_count += 1
            record.last_state = dict(record.state)
            delay = self.kubelet.backoff(record.restart_count)
            if delay > 0:
                events.record_soon(
                    self.kubelet.registry,
                    self.pod,
                    reason="BackOff",
                    component="kubelet",
                    type_="Warning",
                    message=f"Back-off restarting failed container {record.name}",
                )
                record.state = {
                    "waiting": {
                        "reason": "CrashLoopBackOff",
                        "message": f"back-off {delay:g}s restarting failed container={record.name} "
                        f"pod={self.name}_{self.namespace}({self.uid})",
                    }
                }
                self.publish()
                await asyncio.sleep(delay)
            if self.terminating:
                return code

    async def _start_once(
        self, record: ContainerRecord, container: dict[str, Any], volume_paths: dict[str, Path]
    ) -> int | None:
        while True:
            if self.terminating:
                return 143
            try:
                env = envvars.container_env(
                    self.pod_with_ip(),
                    container,
                    self.kubelet.text_lookup(self.namespace),
                    hostname=self.hostname,
                    allocatable=self.kubelet.allocatable,
                    standins=self.kubelet.standins,
                    tmpdir=self.tmpdir,
                )
                break
            except envvars.EnvError as exc:
                record.state = {"waiting": {"reason": "CreateContainerConfigError", "message": str(exc)}}
                self.publish()
                await asyncio.sleep(RETRY)
        command = envvars.command_line(container, env)
        if command is None:
            return None  # not reached: run() rejects such pods before any container starts
        record.attempt += 1
        log_path = self.kubelet.log_path(self.sandbox, record.name, record.attempt)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        started = self.now()
        if not _executable(command[0], env.get("PATH")):
            message = f'exec: "{command[0]}": executable file not found in $PATH'
            log_path.write_text(message + "\n")
            record.state = {
                "terminated": {
                    "exitCode": 128,
                    "reason": "StartError",
                    "message": message,
                    "startedAt": started,
                    "finishedAt": started,
                }
            }
            self.publish()
            return 128
        mounts = volumes.container_mounts(container, volume_paths)
        argv, cwd = self.kubelet.network.wrap(
            self.uid,
            hostname=self.hostname,
            hosts=self.sandbox / "etc" / "hosts",
            mounts=mounts,
            workdir=container.get("workingDir") or self._default_workdir(),
            command=command,
        )
        with _append(log_path) as output:
            process = await asyncio.create_subprocess_exec(
                *argv,
                env=env,
                cwd=cwd or str(self.sandbox),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[record.name] = process
        events.record_soon(
            self.kubelet.registry,
            self.pod,
            reason="Started",
            component="kubelet",
            message=f"Started container {record.name}",
        )
        container_id = f"process://{process.pid}"
        record.state = {"running": {"startedAt": started, "containerID": container_id}}
        record.started = True
        record.ready = not record.init
        if not record.init and self.phase == "Pending" and all(r.started for r in self.main):
            self.phase = "Running"
        self.publish()
        code = await process.wait()
        self._kill_group(process.pid, signal.SIGKILL)
        self.processes.pop(record.name, None)
        code = 128 - code if code < 0 else code  # killed by signal n → 128+n, as container runtimes report
        record.ready = False
        record.state = {
            "terminated": {
                "exitCode": code,
                "reason": exit_reason(code, killed_by_us=record.name in self._killed),
                "startedAt": started,
                "finishedAt": self.now(),
                "containerID": container_id,
            }
        }
        self.publish()
        return code

    def _default_workdir(self) -> str | None:
        """The working-dir annotation of the pod, else of its controller, up the ownership chain."""
        obj: dict[str, Any] | None = self.pod
        for _ in range(OWNER_DEPTH):
            if obj is None:
                return None
            meta = obj.get("metadata") or {}
            if found := (meta.get("annotations") or {}).get(WORKDIR_ANNOTATION):
                return str(found)
            obj = self._controller(meta)
        return None

    def _controller(self, meta: dict[str, Any]) -> dict[str, Any] | None:
        registry = self.kubelet.registry
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller"):
                group = str(ref.get("apiVersion", "")).rpartition("/")[0]
                rtype = registry.catalog.by_kind(group, str(ref.get("kind", "")))
                return None if rtype is None else registry.find(rtype, self.namespace, str(ref.get("name")))
        return None

    def pod_with_ip(self) -> dict[str, Any]:
        """The pod as the downward API sees it (status.podIP filled in before the API has it)."""
        status = {
            **self.pod.get("status", {}),
            "podIP": self.pod_ip,
            "hostIP": self.kubelet.host_ip,
            "podIPs": [{"ip": self.pod_ip}],
            "hostIPs": [{"ip": self.kubelet.host_ip}],
        }
        return {**self.pod, "status": status}

    # -- termination ----------------------------------------------------------------------------------
    @staticmethod
    def _kill_group(pid: int, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)

    async def terminate(self, grace: float, *, phase: tuple[str, str, str] | None = None) -> None:
        """SIGTERM every process group, wait up to `grace` seconds, then SIGKILL; then settle the phase."""
        if self.terminating:
            return
        self.terminating = True
        processes = dict(self.processes)
        for name in processes:
            events.record_soon(
                self.kubelet.registry,
                self.pod,
                reason="Killing",
                component="kubelet",
                message=f"Stopping container {name}",
            )
        for process in processes.values():
            self._kill_group(process.pid, signal.SIGTERM)
        waits = [asyncio.ensure_future(p.wait()) for p in processes.values()]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=max(grace, 0))
            for name, process in processes.items():
                if process.returncode is None:
                    self._killed.add(name)
                    self._kill_group(process.pid, signal.SIGKILL)
            if pending:
                await asyncio.wait(pending)
        for _ in range(100):  # let _start_once record the exits
            if not self.processes:
                break
            await asyncio.sleep(0.01)
        if phase is not None:
            self._finish(*phase)
        elif self.phase not in ("Succeeded", "Failed"):
            codes = [r.state.get("terminated", {}).get("exitCode", 1) for r in self.main]
            self._finish("Succeeded" if codes and all(c == 0 for c in codes) else "Failed")
