"""Kubeconfig settings that change which certificate name is accepted or whom the server sees are honoured
by the CLI, the SDK and the API client, or refused in one line, never ignored.

Covers: `tls-server-name` is the name the server's certificate must carry, for requests and for watches (a
wrong one fails as kubectl fails, a right one works though the address is an IP); `as` makes the server
see the impersonated user (what that user may not do is refused, naming it), the operator's kopf job watches
included; an http `proxy-url` carries every client's connections (CLI, API client, operator, kopf) as CONNECT
tunnels with the proxy's credentials, an https one the same over TLS to the proxy, whose certificate must be
trusted by the kubeconfig's certificate authority as kubectl requires (an untrusted one is an error naming
the proxy, and no tunnel is asked for), and a socks5 one as SOCKS5 tunnels with its user and password (a
wrong password is an error naming the proxy); a socks4 one is refused in one line.
"""

import asyncio
import base64
import ipaddress
import os
import ssl
import sys
from pathlib import Path

import aiohttp
import pytest
import yaml

from training_operator.core import access
from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.testing import certificates
from training_operator.local.cluster import LocalCluster
from training_operator.unified.sdk import calls, transport

CLI = str(Path(sys.executable).parent / "training-operator")
WRONG_NAME = "api.not-in-the-certificate.example"


def edited(cluster: LocalCluster, target: Path, *, cluster_fields=None, user_fields=None) -> Path:
    """The cluster's kubeconfig with fields added to its cluster and user entries."""
    document = yaml.safe_load(Path(cluster.kubeconfig_path).read_text())
    document["clusters"][0]["cluster"].update(cluster_fields or {})
    document["users"][0]["user"].update(user_fields or {})
    target.write_text(yaml.safe_dump(document))
    return target


async def cli(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def first_event(client: ApiClient) -> dict:
    async for event in client.watch("/api/v1/namespaces", {"timeoutSeconds": "5"}):
        return event
    raise AssertionError("the watch ended without an event")


async def test_tls_server_name_is_the_name_the_certificate_must_carry(cluster, api, tmp_path):  # api: CRDs
    assert cluster.url.startswith("https://127.0.0.1:")  # an address the name is not checked against
    right = edited(cluster, tmp_path / "right.yaml", cluster_fields={"tls-server-name": "localhost"})
    wrong = edited(cluster, tmp_path / "wrong.yaml", cluster_fields={"tls-server-name": WRONG_NAME})

    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(right))
    assert code == 0, err
    async with ApiClient(access.load(str(right)), qps=0) as client:
        assert (await client.request("GET", "/api/v1/namespaces/default"))["metadata"]["name"] == "default"
        assert (await first_event(client))["type"] == "ADDED"

    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(wrong))
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert WRONG_NAME in err
    assert "Traceback" not in err
    async with ApiClient(access.load(str(wrong)), qps=0) as client:
        with pytest.raises(aiohttp.ClientError, match=r"not-in-the-certificate|certificate"):
            await client.request("GET", "/api/v1/namespaces/default")
        with pytest.raises(aiohttp.ClientError, match=r"not-in-the-certificate|certificate"):
            await first_event(client)


async def test_acting_as_another_user_is_that_user_to_the_server(cluster, api, tmp_path):
    cluster.server.authn.forbid("alice", ["tfjobs", "namespaces"])
    as_alice = edited(cluster, tmp_path / "alice.yaml", user_fields={"as": "alice", "as-groups": ["team-a"]})

    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(as_alice))
    assert code != 0
    assert 'User "alice" cannot list' in err, err
    assert len(err.strip().splitlines()) == 1, err
    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(cluster.kubeconfig_path))
    assert code == 0, err  # the admin itself may

    async with ApiClient(access.load(str(as_alice)), qps=0) as client:
        with pytest.raises(ApiError) as refused:
            await first_event(client)
        assert refused.value.status == 403
        assert 'User "alice"' in str(refused.value)
        pods = await client.request("GET", "/api/v1/namespaces/default/pods")  # not withheld from alice
        assert pods["kind"] == "PodList"


async def test_a_user_who_may_not_impersonate_is_refused(cluster, tmp_path):
    token, _ = cluster.server.authn.issue("bob", 600)
    as_alice = edited(cluster, tmp_path / "bob.yaml", user_fields={"token": token, "as": "alice"})
    async with ApiClient(access.load(str(as_alice)), qps=0) as client:
        with pytest.raises(ApiError) as refused:
            await client.request("GET", "/api/v1/namespaces/default/pods")
    assert refused.value.status == 403
    assert 'User "bob" cannot impersonate resource "users"' in str(refused.value)


async def test_the_operator_and_its_kopf_watches_act_as_the_impersonated_user(cluster, api, tmp_path, kit):
    bot = "training-operator-bot"
    kubeconfig = edited(
        cluster,
        tmp_path / "bot.yaml",
        cluster_fields={"tls-server-name": "localhost"},
        user_fields={"as": bot, "as-groups": ["system:masters"]},
    )
    seen = cluster.server.faults.by_user
    seen.clear()
    operator = kit.Operator(kubeconfig, tmp_path / "operator.log")
    try:
        await operator.start()
        await api.request("POST", kit.TFJOBS, body=kit.tfjob("as-bot", workers=1))
        await kit.eventually(lambda: _has_pod(kit, api, "as-bot-worker-0"), what="the job's pod", within=30)
    finally:
        await operator.stop()
    as_bot = {(verb, resource) for (user, verb, resource) in seen if user == bot}
    assert ("watch", "tfjobs") in as_bot  # kopf's job watch, through the session the operator hands it
    assert ("watch", "pods") in as_bot  # the operator's own child watch
    assert ("create", "pods") in as_bot
    assert not [key for key in seen if key[0] == "local-admin" and key[1] == "watch"]  # only the test's own


async def _has_pod(kit, api: ApiClient, pod: str) -> bool:
    return pod in await kit.pods(api)


class LocalProxy:
    """A proxy on a loopback port for the length of an `async with`; `_serve` speaks its protocol."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.server: asyncio.Server | None = None
        self.port = 0
        self.tls = tls  # an https proxy: clients speak TLS to it

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raise NotImplementedError


class TunnelProxy(LocalProxy):
    """An http proxy that answers CONNECT only, as corporate proxies in front of API servers do: it records
    each tunnel's target and Proxy-Authorization, then relays bytes both ways."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(tls)
        self.tunnels: list[tuple[str, str]] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _version = head[0].split(" ")
        fields = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            writer.close()
            return
        self.tunnels.append((target, fields.get("Proxy-Authorization", "")))
        host, port = target.rsplit(":", 1)
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_relay(reader, upstream_writer), _relay(upstream_reader, writer))


async def _relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


async def every_client_through(kubeconfig: Path, api, kit, tmp_path: Path, tunnels) -> tuple[int, int]:
    """The CLI, the API client (a request and a watch), the async SDK and the operator with kopf, each
    through the kubeconfig's proxy; the tunnel counts after the CLI and after the clients (`tunnels()`)."""
    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(kubeconfig))  # urllib3
    assert code == 0, err
    through_cli = tunnels()
    async with ApiClient(access.load(str(kubeconfig)), qps=0) as client:  # http1 and aiohttp
        assert (await client.request("GET", "/api/v1/namespaces/default"))["metadata"]["name"] == "default"
        assert (await first_event(client))["type"] == "ADDED"
    sdk = transport.AsyncApi(access.load(str(kubeconfig)))  # the async SDK client's transport
    try:
        namespace = await sdk.request(calls.Call("GET", "/api/v1/namespaces/default", "namespace default"))
    finally:
        await sdk.close()
    assert namespace["metadata"]["name"] == "default"
    through_client = tunnels()
    operator = kit.Operator(kubeconfig, tmp_path / "operator.log")  # its own requests and kopf's watches
    job = f"{kubeconfig.stem}-proxied"
    try:
        await operator.start()
        await api.request("POST", kit.TFJOBS, body=kit.tfjob(job, workers=1))
        await kit.eventually(lambda: _has_pod(kit, api, f"{job}-worker-0"), what="the job's pod", within=30)
    finally:
        await operator.stop()
    assert through_cli >= 1
    assert through_client >= through_cli + 3  # a request, a watch and the SDK's, on connections of their own
    assert tunnels() >= through_client + 3  # the operator's requests, watches, kopf's job watch
    return through_cli, through_client


async def test_every_client_reaches_the_server_through_the_kubeconfigs_proxy(cluster, api, tmp_path, kit):
    authority = cluster.url.removeprefix("https://")
    async with TunnelProxy() as proxy:
        kubeconfig = edited(
            cluster,
            tmp_path / "http.yaml",
            cluster_fields={"proxy-url": f"http://bob:pw@127.0.0.1:{proxy.port}"},
        )
        await every_client_through(kubeconfig, api, kit, tmp_path, lambda: len(proxy.tunnels))
    expected = "Basic " + base64.b64encode(b"bob:pw").decode()
    assert set(proxy.tunnels) == {(authority, expected)}


def trusting(cluster: LocalCluster, also: bytes) -> dict[str, str]:
    """Kubeconfig cluster fields whose certificate authority is the cluster's and `also` (a bundle)."""
    document = yaml.safe_load(Path(cluster.kubeconfig_path).read_text())
    own = base64.b64decode(document["clusters"][0]["cluster"]["certificate-authority-data"])
    return {"certificate-authority-data": base64.b64encode(own + also).decode()}


async def test_every_client_reaches_the_server_through_an_https_proxy(cluster, api, tmp_path, kit):
    authority = cluster.url.removeprefix("https://")
    serving, proxy_authority = certificates.serving_loopback(tmp_path, "proxy authority")
    async with TunnelProxy(serving) as proxy:
        kubeconfig = edited(
            cluster,
            tmp_path / "https.yaml",
            cluster_fields={
                "proxy-url": f"https://bob:pw@127.0.0.1:{proxy.port}",
                **trusting(cluster, proxy_authority),
            },
        )
        await every_client_through(kubeconfig, api, kit, tmp_path, lambda: len(proxy.tunnels))
    expected = "Basic " + base64.b64encode(b"bob:pw").decode()
    assert set(proxy.tunnels) == {(authority, expected)}  # the credentials only ever inside the proxy's TLS


async def refused_by_every_client(cluster, tmp_path: Path, proxy_url: str, request_match: str, watch_error):
    """With `proxy_url`: the CLI fails in one line (its stderr), the API client's request raises an OSError
    matching `request_match` and its watch `watch_error` (both returned)."""
    kubeconfig = edited(cluster, tmp_path / "refused.yaml", cluster_fields={"proxy-url": proxy_url})
    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(kubeconfig))
    async with ApiClient(access.load(str(kubeconfig)), qps=0) as client:
        with pytest.raises(OSError, match=request_match) as refused:
            await client.request("GET", "/api/v1/namespaces/default")
        with pytest.raises(watch_error) as watch_refused:
            await first_event(client)
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    return err, refused.value, watch_refused.value


async def test_an_https_proxy_the_kubeconfig_does_not_trust_is_named_and_never_asked(cluster, api, tmp_path):
    serving, _authority = certificates.serving_loopback(tmp_path, "proxy authority")
    async with TunnelProxy(serving) as proxy:
        url = f"https://bob:pw@127.0.0.1:{proxy.port}"
        untrusted = "certificate verify failed", aiohttp.ClientConnectorCertificateError
        err, refused, watch_refused = await refused_by_every_client(cluster, tmp_path, url, *untrusted)
    assert "certificate verify failed" in err
    assert f"the proxy https://127.0.0.1:{proxy.port}" in err
    assert f"TLS to the proxy https://127.0.0.1:{proxy.port} failed" in str(refused)
    assert (watch_refused.host, watch_refused.port) == ("127.0.0.1", proxy.port)
    assert proxy.tunnels == []  # no CONNECT, so no credentials, went to a proxy nobody vouched for


async def test_a_socks4_proxy_url_is_refused_in_one_line(cluster, api, tmp_path):
    kubeconfig = edited(
        cluster, tmp_path / "proxy.yaml", cluster_fields={"proxy-url": "socks4://127.0.0.1:1"}
    )
    code, _out, err = await cli("get", "tfjob", "--kubeconfig", str(kubeconfig))
    assert code != 0
    assert len(err.strip().splitlines()) == 1, err
    assert "proxy-url 'socks4://127.0.0.1:1' is a socks4 proxy" in err
    assert "does not support" in err


class Socks5Proxy(LocalProxy):
    """A SOCKS5 proxy (RFC 1928) that takes only user and password (RFC 1929), as `ssh -D` behind a
    password or a bastion's proxy would: it records each tunnel's target as the client named it (an address
    or a name) and the user, refuses a wrong password, then relays bytes both ways."""

    def __init__(self, users: dict[str, str]) -> None:
        super().__init__()
        self.users = users
        self.tunnels: list[tuple[str, int, str]] = []
        self.refused: list[str] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, count = await reader.readexactly(2)
        if 2 not in await reader.readexactly(count):  # user and password, or nothing
            writer.write(b"\x05\xff")
            writer.close()
            return
        writer.write(b"\x05\x02")
        _version, length = await reader.readexactly(2)
        user = (await reader.readexactly(length)).decode()
        password = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        if self.users.get(user) != password:
            self.refused.append(user)
            writer.write(b"\x01\x01")
            writer.close()
            return
        writer.write(b"\x01\x00")
        _version, command, _reserved, kind = await reader.readexactly(4)
        if kind == 3:  # a name, resolved here
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.ip_address(await reader.readexactly(4 if kind == 1 else 16)))
        port = int.from_bytes(await reader.readexactly(2), "big")
        assert command == 1  # CONNECT
        self.tunnels.append((host, port, user))
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + bytes(2))
        await asyncio.gather(_relay(reader, upstream_writer), _relay(upstream_reader, writer))


async def test_every_client_reaches_the_server_through_a_socks5_proxy(cluster, api, tmp_path, kit):
    port = int(cluster.url.rsplit(":", 1)[1])
    async with Socks5Proxy({"ann": "s3cret"}) as proxy:
        kubeconfig = edited(
            cluster,
            tmp_path / "socks.yaml",
            cluster_fields={"proxy-url": f"socks5h://ann:s3cret@127.0.0.1:{proxy.port}"},
        )
        await every_client_through(kubeconfig, api, kit, tmp_path, lambda: len(proxy.tunnels))
    assert set(proxy.tunnels) == {("127.0.0.1", port, "ann")}  # the CLI's urllib3 through PySocks too
    assert proxy.refused == []


async def test_a_socks5_proxy_that_refuses_the_password_is_named_in_one_line(cluster, api, tmp_path):
    async with Socks5Proxy({"ann": "s3cret"}) as proxy:
        url = f"socks5://ann:wrong@127.0.0.1:{proxy.port}"
        err, refused, watch_refused = await refused_by_every_client(
            cluster, tmp_path, url, "refused a tunnel", aiohttp.ClientConnectionError
        )
    assert f"127.0.0.1:{proxy.port}" in err
    assert f"the proxy socks5://127.0.0.1:{proxy.port} refused a tunnel to 127.0.0.1:" in str(refused)
    assert f"the proxy socks5://127.0.0.1:{proxy.port} refused a tunnel" in str(watch_refused)
    assert proxy.refused == ["ann", "ann", "ann"]
    assert proxy.tunnels == []
