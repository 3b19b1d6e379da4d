"""A SOCKS5 proxy without the `socks` extra's packages installed is refused in one line that names the
missing package and the install command, before any connection is tried, by every client."""

import sys

import pytest

from training_operator.core.access.proxy import parse
from training_operator.core.errors import AccessError
from training_operator.core.kube import client, socks
from training_operator.core.kube.http1 import Http1Pool

PROXY = parse("socks5://ann:pw@127.0.0.1:1080", where="proxy-url")


@pytest.mark.parametrize("package", ["aiohttp_socks", "python_socks", "socks"])
def test_each_missing_package_is_named_with_the_extra(monkeypatch, package):
    monkeypatch.setitem(sys.modules, package, None)  # what an install without the extra looks like
    with pytest.raises(AccessError) as refused:
        socks.require(PROXY)
    message = str(refused.value)
    assert "\n" not in message
    assert f"socks5://127.0.0.1:1080 is a SOCKS5 proxy, which needs the {package} package" in message
    assert "pip install 'training-operator[socks]'" in message
    assert "pw" not in message  # the password stays out of errors


async def test_the_api_clients_connections_refuse_it_too(monkeypatch):
    monkeypatch.setitem(sys.modules, "aiohttp_socks", None)
    with pytest.raises(AccessError, match="needs the aiohttp_socks package"):
        client.connector(PROXY, limit=0)
    pool = Http1Pool("https://10.0.0.1:6443", keepalive=60, proxy=PROXY)
    with pytest.raises(AccessError, match="needs the aiohttp_socks package"):
        await pool.request("GET", "/api", headers={})


def test_an_http_proxy_needs_nothing_more(monkeypatch):
    monkeypatch.setitem(sys.modules, "aiohttp_socks", None)
    http = parse("http://127.0.0.1:3128", where="proxy-url")
    assert not http.socks
    assert client.proxy_options(http) == {"proxy": "http://127.0.0.1:3128"}
    assert client.proxy_options(PROXY) == {}
