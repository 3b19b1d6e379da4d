"""An API server that sheds load (429 with Retry-After, what API Priority and Fairness answers) is waited
out by every client, as client-go waits it out: the operator creates the job's pods with no failed reconcile
and no Warning event, only its request metrics telling; the CLI and the async SDK answer as if nothing
happened. Each refused request is sent again once the server's Retry-After (1 s here) has passed."""

import asyncio
import sys
from pathlib import Path

from training_operator.core import access
from training_operator.unified.sdk import calls, transport

CLI = str(Path(sys.executable).parent / "training-operator")


async def test_the_operator_waits_out_a_busy_server_and_records_no_failure(cluster, api, operator, kit):
    refusing = cluster.server.faults.add(code=429, verbs={"create"}, resource="pods", times=3)
    await operator.start()
    await api.request("POST", kit.TFJOBS, body=kit.tfjob("busy", workers=2))

    async def both_pods() -> bool:
        return {"busy-worker-0", "busy-worker-1"} <= set(await kit.pods(api))

    await kit.eventually(both_pods, what="the job's two pods", within=30)
    assert refusing.fired == 3
    events = (await api.request("GET", "/api/v1/namespaces/default/events"))["items"]
    assert [e["reason"] for e in events if e["type"] == "Warning"] == []
    failed = await operator.sample("training_operator_reconcile_duration_seconds_count", result="error")
    assert failed == 0
    throttled = {"verb": "create", "resource": "pods", "outcome": "throttled"}
    assert await operator.sample("training_operator_api_requests_total", **throttled) == 3


async def test_the_cli_and_the_async_sdk_wait_out_a_busy_server(cluster, api, kit):
    await api.request("POST", kit.TFJOBS, body=kit.tfjob("listed", workers=1))
    kubeconfig = str(cluster.kubeconfig_path)
    listing = cluster.server.faults.add(code=429, verbs={"list"}, resource="tfjobs", times=2)
    pipe = asyncio.subprocess.PIPE
    process = await asyncio.create_subprocess_exec(
        CLI, "get", "tfjob", "--kubeconfig", kubeconfig, stdout=pipe, stderr=pipe
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)  # the server runs in this event loop
    assert process.returncode == 0, err.decode()
    assert "listed" in out.decode()
    assert listing.fired == 2

    getting = cluster.server.faults.add(code=429, verbs={"get"}, resource="tfjobs", times=1)
    sdk = transport.AsyncApi(access.load(kubeconfig))
    try:
        job = await sdk.request(calls.Call("GET", f"{kit.TFJOBS}/listed", "TFJob listed"))
    finally:
        await sdk.close()
    assert job["metadata"]["name"] == "listed"
    assert getting.fired == 1
