"""Run one job and report it as it goes: condition transitions, optionally pod logs; the exit code says how
it ended (0 Succeeded, 1 Failed). Used by `training-operator local run`.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Mapping
from typing import Any

import aiohttp

from training_operator.core import discovery, labels
from training_operator.core.errors import install_hint
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.resources import Resource

POLL_SECONDS = 0.5
LOG_DRAIN_SECONDS = 5.0


async def run_job(client: ApiClient, body: Mapping[str, Any], *, logs: bool) -> int:
    """Create the job and wait for it to finish."""
    kind = served_kind(body)
    namespace = (body.get("metadata") or {}).get("namespace") or "default"
    name = (body.get("metadata") or {}).get("name", "")
    resource = Resource(kind.api_version, kind.kind, kind.plural)
    try:
        created = await client.request("POST", resource.path(namespace), body=dict(body))
    except ApiError as error:
        print(f"error: cannot create {kind.kind} {name}: {error.message}", file=sys.stderr)
        if error.already_exists:
            print(f"  delete it first: kubectl delete {kind.plural} -n {namespace} {name}", file=sys.stderr)
        return 2
    print(f"{kind.kind} {namespace}/{name} created")
    streaming: dict[str, asyncio.Task[None]] = {}
    try:
        return await _watch(client, resource, created, streaming if logs else None)
    finally:
        for task in streaming.values():
            task.cancel()
        await asyncio.gather(*streaming.values(), return_exceptions=True)


def served_kind(body: Mapping[str, Any]) -> Any:
    """The installed framework's kind for this job; exits naming the extra to install when there is none."""
    for framework in discovery.discover().values():
        if framework.kind.kind == body.get("kind") and framework.kind.api_version == body.get("apiVersion"):
            return framework.kind
    raise SystemExit(
        f"error: no installed framework serves {body.get('apiVersion')} {body.get('kind')}: "
        + install_hint([str(body.get("kind"))])
    )


async def _watch(
    client: ApiClient,
    resource: Resource,
    job: Mapping[str, Any],
    streaming: dict[str, asyncio.Task[None]] | None,
) -> int:
    meta = job["metadata"]
    namespace, name = meta.get("namespace") or "default", meta["name"]
    printed: set[tuple[str, str, str]] = set()
    while True:
        if streaming is not None:
            await _stream_new_pods(client, namespace, name, streaming)
        current = await client.request("GET", resource.path(namespace, name))
        for condition in (current.get("status") or {}).get("conditions") or []:
            mark = (condition.get("type", ""), condition.get("status", ""), condition.get("reason", ""))
            if mark not in printed:
                printed.add(mark)
                print(f"  {mark[0]}={mark[1]} {mark[2]}: {condition.get('message', '')}", flush=True)
                if mark[1] == "True" and mark[0] in ("Succeeded", "Failed"):
                    if streaming:  # the logs of finished pods end by themselves: print them whole
                        await asyncio.wait(list(streaming.values()), timeout=LOG_DRAIN_SECONDS)
                    return 0 if mark[0] == "Succeeded" else 1
        await asyncio.sleep(POLL_SECONDS)


async def _stream_new_pods(
    client: ApiClient, namespace: str, job: str, streaming: dict[str, asyncio.Task[None]]
) -> None:
    pods = await client.request(
        "GET", f"/api/v1/namespaces/{namespace}/pods", params={"labelSelector": f"{labels.JOB_NAME}={job}"}
    )
    for pod in pods.get("items") or []:
        pod_name = pod["metadata"]["name"]
        phase = (pod.get("status") or {}).get("phase")
        if pod_name not in streaming and phase not in (None, "Pending"):
            streaming[pod_name] = asyncio.create_task(_stream_log(client, namespace, pod_name))


async def _stream_log(client: ApiClient, namespace: str, pod: str) -> None:
    assert client.session is not None
    path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    with contextlib.suppress(aiohttp.ClientError):
        async with client.session.get(path, params={"follow": "true"}, timeout=timeout) as response:
            async for line in response.content:
                print(f"[{pod}] {line.decode(errors='replace').rstrip()}", flush=True)
