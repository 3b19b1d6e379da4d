"""The dashboard server against a real (local) API server: every route needs the token (403 without or with a
wrong one; the link's token becomes a cookie and leaves the URL); only GET exists; it listens on loopback
unless asked; the feeds push a job as it is created and deleted, the job page as its pods change, and a log
that cannot be read says why."""

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from training_operator.core import access, labels
from training_operator.core.kube.client import ApiClient
from training_operator.local.cluster import LocalCluster
from training_operator.unified import localcli
from training_operator.unified.dashboard import server

pytestmark = pytest.mark.timeout(60)
TFJOBS = "/apis/kubeflow.org/v1/namespaces/default/tfjobs"


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[LocalCluster]:
    async with LocalCluster(tmp_path / "cluster", kubelet=False) as running:
        async with ApiClient(access.load(str(running.kubeconfig_path)), qps=0) as client:
            await localcli.apply_crds(client)
        yield running


@pytest.fixture
async def api(cluster: LocalCluster) -> AsyncIterator[ApiClient]:
    async with ApiClient(access.load(str(cluster.kubeconfig_path)), qps=0) as client:
        yield client


@pytest.fixture
async def board(cluster: LocalCluster) -> AsyncIterator[server.Dashboard]:
    async with server.serving(kubeconfig=str(cluster.kubeconfig_path), token="secret-token") as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def base(board: server.Dashboard) -> str:
    return f"http://127.0.0.1:{board.port}"


async def events(response: aiohttp.ClientResponse) -> AsyncIterator[tuple[str, Any]]:
    """Server-Sent Events as (name, decoded data)."""
    name = ""
    async for raw in response.content:
        line = raw.decode().rstrip("\n")
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            yield name, json.loads(line[len("data: ") :])


async def next_event(stream: AsyncIterator[tuple[str, Any]], wanted: str) -> Any:
    async with asyncio.timeout(15):
        async for name, data in stream:
            if name == wanted:
                return data
    raise AssertionError(f"the stream ended before a {wanted!r} event")


def a_tfjob(name: str = "job") -> dict:
    container = {"name": "tensorflow", "image": "local", "command": ["true"]}
    template = {"spec": {"containers": [container]}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"tfReplicaSpecs": {"Worker": {"replicas": 2, "template": template}}},
    }


@pytest.mark.parametrize("path", ["/", "/jobs/TFJob/default/job", "/static/jobs.js", "/events/jobs"])
async def test_without_the_token_every_route_is_forbidden(board, browser, path):
    async with browser.get(base(board) + path) as response:
        assert response.status == 403
        assert "access token" in await response.text()
    async with browser.get(base(board) + path, params={"token": "guess"}) as response:
        assert response.status == 403
    async with browser.get(base(board) + path, headers={"Authorization": "Bearer guess"}) as response:
        assert response.status == 403


async def test_the_links_token_becomes_a_cookie_and_leaves_the_url(board, browser):
    assert board.url == f"http://127.0.0.1:{board.port}/?token=secret-token"
    async with browser.get(board.url, allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "/"
        cookie = response.cookies[f"training-operator-dashboard-{board.port}"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"
    async with browser.get(base(board) + "/") as response:  # the cookie alone now
        assert response.status == 200
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "jobs.js" in await response.text()


async def test_only_reading_is_possible(board, browser):
    async with browser.post(base(board) + "/", params={"token": "secret-token"}) as response:
        assert response.status == 405
    async with browser.delete(base(board) + "/events/jobs", params={"token": "secret-token"}) as response:
        assert response.status == 405


def non_loopback_addresses() -> set[str]:
    found = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # picks the outgoing interface; sends nothing
            found.add(probe.getsockname()[0])
        except OSError:
            pass
    for *_, address in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
        found.add(str(address[0]))
    return {a for a in found if not server.is_loopback(a) and a != "0.0.0.0"}


async def reachable(address: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), 5)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_it_listens_on_loopback_unless_asked(cluster, board):
    addresses = non_loopback_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback address")
    assert board.host == "127.0.0.1"
    assert await reachable("127.0.0.1", board.port)
    for address in addresses:
        assert not await reachable(address, board.port), f"served on {address} without being asked"
    kubeconfig = str(cluster.kubeconfig_path)
    async with server.serving(kubeconfig=kubeconfig, host="0.0.0.0") as exposed:  # asked
        assert all([await reachable(address, exposed.port) for address in addresses])


async def test_the_jobs_feed_pushes_a_job_as_it_comes_and_goes(board, browser, api):
    async with browser.get(base(board) + "/events/jobs", params={"token": "secret-token"}) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = events(response)
        snapshot = await next_event(stream, "snapshot")
        assert snapshot["jobs"] == []
        await api.request("POST", TFJOBS, body=a_tfjob())
        while not (changes := await next_event(stream, "changes"))["upserts"]:
            pass
        (row,) = changes["upserts"]
        assert (row["key"], row["name"], row["replicas"][0]["total"]) == ("TFJob/default/job", "job", 2)
        await api.request("DELETE", f"{TFJOBS}/job")
        while not (changes := await next_event(stream, "changes"))["deletes"]:
            pass
        assert changes["deletes"] == ["TFJob/default/job"]


async def test_the_job_feed_pushes_the_page_as_pods_appear(board, browser, api):
    await api.request("POST", TFJOBS, body=a_tfjob())
    path = base(board) + "/events/jobs/TFJob/default/job"
    async with browser.get(path, params={"token": "secret-token"}) as response:
        stream = events(response)
        while (page := await next_event(stream, "state"))["job"] is None:
            pass
        assert page["job"]["kind"] == "TFJob"
        assert page["defaultContainer"] == "tensorflow"
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "job-worker-0",
                "namespace": "default",
                "labels": {labels.JOB_NAME: "job", labels.REPLICA_TYPE: "worker", labels.REPLICA_INDEX: "0"},
            },
            "spec": {"containers": [{"name": "tensorflow", "image": "local"}]},
        }
        await api.request("POST", "/api/v1/namespaces/default/pods", body=pod)
        while not (page := await next_event(stream, "state"))["pods"]:
            pass
        assert [p["replica"] for p in page["pods"]] == ["worker-0"]
        assert [r["replica"] for r in page["chart"]["rows"]] == ["worker-0"]


@pytest.mark.parametrize(
    "path",
    ["/events/jobs/NoSuchJob/default/job", "/events/jobs/TFJob/Default/job", "/events/logs/default/a%20b"],
)
async def test_what_names_nothing_is_not_found(board, browser, path):
    async with browser.get(base(board) + path, params={"token": "secret-token"}) as response:
        assert response.status == 404


async def test_a_log_that_cannot_be_read_says_why(board, browser):
    path = base(board) + "/events/logs/default/nope"
    async with browser.get(path, params={"token": "secret-token", "container": "x"}) as response:
        stream = events(response)
        assert await next_event(stream, "reset") == {}
        assert "nope" in await next_event(stream, "problem")
        assert await next_event(stream, "end") == {}
