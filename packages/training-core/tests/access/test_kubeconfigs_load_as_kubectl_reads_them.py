"""core.access reads kubeconfigs as kubectl does.

Covers: several $KUBECONFIG files merged first-wins, --kubeconfig over $KUBECONFIG, --context, relative
paths from the file that holds them, token files re-read after a rotation and after a 401, the in-cluster
service account, client keys given as data leaving no file behind, clear errors for each gap, and a server
address without a scheme taking client-go's default (https when any TLS setting is given).
"""

import base64
import datetime
import os
import ssl
import tempfile
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from training_operator.core import access
from training_operator.core.access import auth
from training_operator.core.errors import AccessError


def kubeconfig(path: Path, *, current: str | None, clusters=(), users=(), contexts=()) -> Path:
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters],
        "users": [{"name": n, "user": u} for n, u in users],
        "contexts": [{"name": n, "context": c} for n, c in contexts],
    }
    if current:
        document["current-context"] = current
    path.write_text(yaml.safe_dump(document))
    return path


def test_several_files_merge_first_wins(tmp_path):
    first = kubeconfig(
        tmp_path / "a",
        current=None,
        clusters=[("prod", {"server": "https://first:6443"})],
        users=[("me", {"token": "first-token"})],
    )
    second = kubeconfig(
        tmp_path / "b",
        current="prod",
        clusters=[("prod", {"server": "https://second:6443"})],
        users=[("me", {"token": "second-token"})],
        contexts=[("prod", {"cluster": "prod", "user": "me", "namespace": "team"})],
    )
    env = {"KUBECONFIG": f"{first}{os.pathsep}{tmp_path / 'missing'}{os.pathsep}{second}"}

    found = access.load(environ=env, service_account=tmp_path / "no-sa")

    assert found.server == "https://first:6443"
    assert found.headers() == {"Authorization": "Bearer first-token"}
    assert found.namespace == "team"


def test_explicit_file_and_context_win(tmp_path):
    other = kubeconfig(tmp_path / "other", current="x", contexts=[("x", {"cluster": "none"})])
    chosen = kubeconfig(
        tmp_path / "chosen",
        current="a",
        clusters=[("a", {"server": "https://a"}), ("b", {"server": "https://b"})],
        contexts=[("a", {"cluster": "a", "user": "u"}), ("b", {"cluster": "b", "user": "u"})],
        users=[("u", {"token": "t"})],
    )

    found = access.load(chosen, context="b", environ={"KUBECONFIG": str(other)})

    assert found.server == "https://b"
    assert found.namespace == "default"


@pytest.mark.parametrize(
    ("context", "message"),
    [
        pytest.param("nope", "context 'nope' not found", id="unknown-context"),
        pytest.param("dangling", "names no cluster with a server", id="dangling-cluster"),
    ],
)
def test_gaps_are_named(tmp_path, context, message):
    path = kubeconfig(tmp_path / "k", current="dangling", contexts=[("dangling", {"cluster": "gone"})])
    with pytest.raises(AccessError, match=message):
        access.load(path, context=context)


@pytest.mark.parametrize(
    ("cluster", "server"),
    [
        pytest.param(
            {"server": "10.0.0.1:6443", "insecure-skip-tls-verify": True}, "https://10.0.0.1:6443", id="tls"
        ),
        pytest.param(
            {"server": "k8s.example:6443", "certificate-authority-data": "Y2E="},
            "https://k8s.example:6443",
            id="ca",
        ),
        pytest.param({"server": "127.0.0.1:8080"}, "http://127.0.0.1:8080", id="no-tls-settings"),
        pytest.param(
            {"server": "https://k8s.example/prefix"}, "https://k8s.example/prefix", id="scheme-given"
        ),
    ],
)
def test_a_server_without_a_scheme_gets_client_gos_default(tmp_path, cluster, server):
    path = kubeconfig(
        tmp_path / "config",
        current="c",
        clusters=[("k", cluster)],
        users=[("u", {"token": "t"})],
        contexts=[("c", {"cluster": "k", "user": "u"})],
    )
    assert access.load(path).server == server


def test_no_kubeconfig_and_no_pod_says_what_to_pass(tmp_path):
    with pytest.raises(AccessError, match="pass --kubeconfig or set KUBECONFIG"):
        access.load(environ={"KUBECONFIG": str(tmp_path / "missing")}, service_account=tmp_path)


def test_auth_provider_points_at_the_exec_plugin(tmp_path):
    path = kubeconfig(
        tmp_path / "k",
        current="c",
        clusters=[("c", {"server": "https://c"})],
        users=[("u", {"auth-provider": {"name": "gcp"}})],
        contexts=[("c", {"cluster": "c", "user": "u"})],
    )
    with pytest.raises(AccessError, match=r"auth-provider 'gcp'.*exec plug-in"):
        access.load(path)


def test_token_file_is_reread_after_rotation_and_after_a_401(tmp_path):
    token = tmp_path / "token"
    token.write_text("one\n")
    path = kubeconfig(
        tmp_path / "k",
        current="c",
        clusters=[("c", {"server": "https://c"})],
        users=[("u", {"tokenFile": "token"})],  # relative to the kubeconfig
        contexts=[("c", {"cluster": "c", "user": "u"})],
    )
    found = access.load(path)
    assert found.headers() == {"Authorization": "Bearer one"}

    token.write_text("two\n")
    assert found.headers() == {"Authorization": "Bearer one"}, "within the minute the read is cached"
    found.invalidate({"Authorization": "Bearer one"})
    assert found.headers() == {"Authorization": "Bearer two"}


def test_token_file_period_rereads_without_a_401(tmp_path):
    token = tmp_path / "token"
    token.write_text("one")
    source = auth.TokenFile(token, who="test", period=0.0)
    assert source.header() == "Bearer one"
    token.write_text("two")
    assert source.header() == "Bearer two"


def test_in_cluster_service_account(tmp_path):
    (tmp_path / "token").write_text("sa-token")
    (tmp_path / "namespace").write_text("kubeflow")
    env = {"KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"}

    found = access.load(environ=env, service_account=tmp_path)

    assert found.server == "https://[fd00::1]:443"
    assert found.namespace == "kubeflow"
    assert found.headers() == {"Authorization": "Bearer sa-token"}
    assert "service account" in found.who


def self_signed() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_client_certificate_data_leaves_no_file_behind(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    cert, key = self_signed()
    path = kubeconfig(
        tmp_path / "k",
        current="c",
        clusters=[("c", {"server": "https://c", "insecure-skip-tls-verify": True})],
        users=[
            (
                "u",
                {
                    "client-certificate-data": base64.b64encode(cert).decode(),
                    "client-key-data": base64.b64encode(key).decode(),
                },
            )
        ],
        contexts=[("c", {"cluster": "c", "user": "u"})],
    )
    before = set(Path("/tmp").iterdir())

    context = access.load(path).ssl_context()

    assert isinstance(context, ssl.SSLContext)
    assert list(scratch.iterdir()) == []
    assert not [p for p in set(Path("/tmp").iterdir()) - before if "training-operator" in p.name]


def test_bad_client_key_is_a_clear_error(tmp_path):
    cert, _ = self_signed()
    _, other_key = self_signed()
    path = kubeconfig(
        tmp_path / "k",
        current="c",
        clusters=[("c", {"server": "https://c"})],
        users=[
            (
                "u",
                {
                    "client-certificate-data": base64.b64encode(cert).decode(),
                    "client-key-data": base64.b64encode(other_key).decode(),
                },
            )
        ],
        contexts=[("c", {"cluster": "c", "user": "u"})],
    )
    with pytest.raises(AccessError, match="cannot load the client certificate and key"):
        access.load(path).ssl_context()


def one_context(tmp_path: Path, cluster: dict, user: dict) -> Path:
    return kubeconfig(
        tmp_path / "config",
        current="c",
        clusters=[("k", {"server": "https://10.0.0.1:6443", **cluster})],
        users=[("u", {"token": "t", **user})],
        contexts=[("c", {"cluster": "k", "user": "u"})],
    )


def test_acting_as_another_user_becomes_impersonate_headers_as_client_go_sends_them(tmp_path):
    user = {
        "as": "alice",
        "as-uid": "42",
        "as-groups": ["team-a", "team-b"],
        "as-user-extra": {"scopes": ["read", "write"], "example.com/Project Id": ["p1"]},
    }
    found = access.load(one_context(tmp_path, {}, user))
    assert found.impersonation == (
        ("Impersonate-User", "alice"),
        ("Impersonate-Uid", "42"),
        ("Impersonate-Group", "team-a"),
        ("Impersonate-Group", "team-b"),
        ("Impersonate-Extra-example.com%2FProject%20Id", "p1"),  # in the file's order (safe_dump sorts)
        ("Impersonate-Extra-scopes", "read"),
        ("Impersonate-Extra-scopes", "write"),
    )
    assert access.load(one_context(tmp_path, {}, {})).impersonation == ()


@pytest.mark.parametrize(
    ("user", "message"),
    [
        pytest.param({"as-groups": ["team-a"]}, "as-groups or as-user-extra without as", id="groups-alone"),
        pytest.param({"as": "alice", "as-groups": "team-a"}, "as-groups must be a list", id="groups-text"),
        pytest.param({"as": "alice", "as-user-extra": {"k": "v"}}, "map each key to a list", id="extra-text"),
        pytest.param({"as": "alice\r\nX-Evil: 1"}, "holds a line break", id="line-break"),
    ],
)
def test_impersonation_that_client_go_refuses_is_refused_by_name(tmp_path, user, message):
    with pytest.raises(AccessError, match=message):
        access.load(one_context(tmp_path, {}, user))


def test_tls_server_name_is_kept_beside_the_address(tmp_path):
    found = access.load(one_context(tmp_path, {"tls-server-name": "api.internal.example"}, {}))
    assert found.server == "https://10.0.0.1:6443"
    assert found.server_name == "api.internal.example"
    assert access.load(one_context(tmp_path, {}, {})).server_name is None


def test_a_proxy_url_is_the_proxy_and_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://from-env:3128")
    path = one_context(tmp_path, {"proxy-url": "http://user:p%40ss@proxy.corp:8080"}, {})
    found = access.load(path).proxy
    assert found is not None
    assert (found.host, found.port, found.address) == ("proxy.corp", 8080, "http://proxy.corp:8080")
    assert found.user == ("user", "p@ss")
    assert access.load(one_context(tmp_path, {}, {})).proxy.address == "http://from-env:3128"


def test_a_socks4_proxy_is_refused_with_the_ways_around_it(tmp_path):
    path = one_context(tmp_path, {"proxy-url": "socks4://10.0.0.9:1080"}, {})
    with pytest.raises(AccessError) as refused:
        access.load(path)
    message = str(refused.value)
    assert "kubeconfig cluster \"k\" proxy-url 'socks4://10.0.0.9:1080' is a socks4 proxy" in message
    assert "use an http://, https:// or socks5:// proxy" in message
    assert "tls-server-name" in message  # the port-forward way around it


def test_an_https_proxy_url_is_read(tmp_path):
    found = access.load(one_context(tmp_path, {"proxy-url": "https://10.0.0.9:3129"}, {})).proxy
    assert found is not None
    assert found.tls
    assert found.address == "https://10.0.0.9:3129"


def test_a_socks5_proxy_url_is_the_clusters_proxy(tmp_path):
    path = one_context(tmp_path, {"proxy-url": "socks5h://127.0.0.1:1080"}, {})
    assert access.load(path).proxy.address == "socks5://127.0.0.1:1080"


def test_skipping_verification_with_a_certificate_authority_is_refused_as_kubectl_refuses_it(tmp_path):
    ca = base64.b64encode(self_signed()[0]).decode()
    path = one_context(tmp_path, {"insecure-skip-tls-verify": True, "certificate-authority-data": ca}, {})
    with pytest.raises(AccessError, match="sets both insecure-skip-tls-verify and a certificate authority"):
        access.load(path)
    assert access.load(one_context(tmp_path, {"insecure-skip-tls-verify": True}, {})).material.insecure
