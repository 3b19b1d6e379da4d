"""The proxy requests go through, as client-go (Go's httpproxy) chooses it: kubeconfig `proxy-url` first,
else HTTPS_PROXY for an https server (HTTP_PROXY for http; upper case first) unless NO_PROXY names the
server (a name and its subdomains, a leading dot for subdomains only, addresses, CIDR ranges, ports, `*`);
a loopback server never; only http:// proxies, others refused by name."""

import pytest

from training_operator.core.access import proxy
from training_operator.core.errors import AccessError

SERVER = "https://api.cluster.example:6443"


def chosen(server: str = SERVER, **environ: str) -> str | None:
    found = proxy.from_environment(server, environ)
    return None if found is None else found.address


def test_the_server_schemes_variable_names_the_proxy():
    assert chosen(HTTPS_PROXY="http://p:3128") == "http://p:3128"
    assert chosen(https_proxy="p:3128") == "http://p:3128"  # no scheme: http, as Go reads it
    assert chosen(HTTPS_PROXY="http://upper:1", https_proxy="http://lower:1") == "http://upper:1"
    assert chosen(HTTP_PROXY="http://p:3128") is None  # not for an https server
    assert chosen("http://api.cluster.example:8080", HTTP_PROXY="http://p:3128") == "http://p:3128"
    assert chosen() is None


@pytest.mark.parametrize("server", ["https://127.0.0.1:6443", "https://localhost:6443", "https://[::1]:6443"])
def test_a_loopback_server_is_never_proxied(server):
    assert chosen(server, HTTPS_PROXY="http://p:3128") is None


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [
        ("*", True),
        ("cluster.example", True),  # the name and its subdomains
        ("api.cluster.example", True),
        (".cluster.example", True),  # subdomains only
        (".api.cluster.example", False),
        ("other.example, example", True),
        ("luster.example", False),  # a suffix of a label is not a domain
        ("api.cluster.example:6443", True),
        ("api.cluster.example:443", False),
        ("", False),
    ],
)
def test_no_proxy_names_hosts_domains_and_ports(no_proxy, bypassed):
    assert (chosen(HTTPS_PROXY="http://p:3128", NO_PROXY=no_proxy) is None) is bypassed


@pytest.mark.parametrize(
    ("no_proxy", "bypassed"),
    [("10.0.0.0/8", True), ("10.96.0.1", True), ("10.96.0.2", False), ("192.168.0.0/16", False)],
)
def test_no_proxy_names_addresses_and_ranges(no_proxy, bypassed):
    found = chosen("https://10.96.0.1:443", HTTPS_PROXY="http://p:3128", no_proxy=no_proxy)
    assert (found is None) is bypassed


def test_a_user_in_the_url_becomes_basic_proxy_authorization():
    found = proxy.parse("http://alice:s%3Acret@proxy:8080", where="proxy-url")
    assert found.authorization == "Basic YWxpY2U6czpjcmV0"
    assert found.user == ("alice", "s:cret")
    assert found.address == "http://proxy:8080"
    assert proxy.parse("proxy", where="proxy-url").port == 80


@pytest.mark.parametrize("url", ["socks4://p:1080", "socks4a://p:1080"])
def test_socks4_proxies_are_refused_by_name(url):
    with pytest.raises(AccessError, match=r"proxy, which training-operator does not support"):
        proxy.parse(url, where="HTTPS_PROXY")


def test_https_proxies_are_read_with_their_user_and_port_443_by_default():
    found = proxy.parse("https://ann:pw@proxy.corp", where="proxy-url")
    assert found.tls
    assert not found.socks
    assert (found.host, found.port, found.address) == ("proxy.corp", 443, "https://proxy.corp:443")
    assert found.url == "https://ann:pw@proxy.corp:443"
    assert found.authorization == "Basic YW5uOnB3"
    assert not proxy.parse("http://proxy.corp", where="proxy-url").tls


@pytest.mark.parametrize("scheme", ["socks5", "socks5h", "SOCKS5"])
def test_socks5_proxies_are_read_with_their_user_and_port_1080_by_default(scheme):
    found = proxy.parse(f"{scheme}://ann:p%40ss@bastion", where="proxy-url")
    assert found.socks
    assert (found.host, found.port) == ("bastion", 1080)
    assert found.user == ("ann", "p@ss")
    assert found.address == "socks5://bastion:1080"
    assert found.url == "socks5://ann:p%40ss@bastion:1080"
    assert not proxy.parse("http://p:3128", where="proxy-url").socks


def test_an_unreadable_proxy_is_refused():
    with pytest.raises(AccessError, match="is not a proxy address"):
        proxy.parse("ftp://p", where="proxy-url")
    with pytest.raises(AccessError, match="invalid port"):
        proxy.parse("http://p:99999", where="proxy-url")
