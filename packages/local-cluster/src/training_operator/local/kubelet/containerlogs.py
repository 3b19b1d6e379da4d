"""pods/log: container output files read back with tailLines, limitBytes, previous and follow.

Each container start writes its own file (`logs/<container>/<attempt>.log`), so `previous=true` is simply
the attempt before the current one, and logs survive the cluster restarting.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training_operator.local import errors

if TYPE_CHECKING:
    from training_operator.local.kubelet.runtime import PodWorker

FOLLOW_POLL = 0.2


def _container(pod: dict[str, Any], container: str | None) -> str:
    name = pod["metadata"]["name"]
    main = [c["name"] for c in pod["spec"].get("containers") or []]
    init = [c["name"] for c in pod["spec"].get("initContainers") or []]
    if container is None:
        if len(main) == 1:
            return str(main[0])
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(main)}]"
        if init:
            message += f" or one of the init containers: [{' '.join(init)}]"
        raise errors.bad_request(message)
    if container not in main + init:
        raise errors.bad_request(f"container {container} is not valid for pod {name}")
    return container


def _attempts(directory: Path) -> list[int]:
    if not directory.is_dir():
        return []
    return sorted(int(p.stem) for p in directory.glob("*.log") if p.stem.isdigit())


def _tail(data: bytes, lines: int | None) -> bytes:
    if lines is None:
        return data
    if lines <= 0:
        return b""
    parts = data.splitlines(keepends=True)
    return b"".join(parts[-lines:])


def _waiting_reason(pod: dict[str, Any], container: str) -> str:
    status = pod.get("status") or {}
    for key in ("initContainerStatuses", "containerStatuses"):
        for entry in status.get(key) or []:
            if entry.get("name") == container:
                return str((entry.get("state") or {}).get("waiting", {}).get("reason") or "ContainerCreating")
    return "ContainerCreating"


async def stream(
    pod: dict[str, Any],
    sandbox: Path,
    worker: "PodWorker | None",
    *,
    container: str | None,
    follow: bool,
    tail_lines: int | None,
    previous: bool,
    limit_bytes: int | None,
) -> AsyncIterator[bytes]:
    """Yield the log; the first item is yielded only after every error check passed."""
    name = _container(pod, container)
    directory = sandbox / "logs" / name
    attempts = _attempts(directory)
    pod_name = pod["metadata"]["name"]
    if previous:
        if len(attempts) < 2:
            raise errors.bad_request(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        attempt = attempts[-2]
    elif not attempts:
        raise errors.bad_request(
            f'container "{name}" in pod "{pod_name}" is waiting to start: {_waiting_reason(pod, name)}'
        )
    else:
        attempt = attempts[-1]
    path = directory / f"{attempt}.log"
    data = _tail(path.read_bytes(), tail_lines)
    if limit_bytes is not None:
        data = data[:limit_bytes]
    yield data
    if not follow or previous or worker is None:
        return
    offset = path.stat().st_size
    while True:
        record = next((r for r in (*worker.init, *worker.main) if r.name == name), None)
        running = (
            record is not None
            and record.attempt == attempt
            and "terminated" not in record.state
            and not worker.terminating
        )
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
        if chunk:
            offset += len(chunk)
            yield chunk
        elif not running:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FOLLOW_POLL):
                await worker.changed.wait()
