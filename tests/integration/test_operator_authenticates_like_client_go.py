"""The operator against an API server that behaves like a real one about credentials.

Covers: reconciling on across three or more expiries of short-lived tokens, from an exec plug-in and from
a rotated in-cluster service-account token file (the operator in a mount namespace, as in a pod); refusing
to start, with one line naming the user and what it may not do, for anonymous and for wrong credentials;
an optional feature this user may not use is one warning and off; an older Kubernetes is refused.
"""

import asyncio
import base64
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from training_operator.core import access
from training_operator.core.kube.client import ApiClient
from training_operator.local.cluster import LocalCluster
from training_operator.local.testing import exec_kubeconfig, rotate_token, service_account
from training_operator.unified import localcli

OPERATOR_USER = "system:serviceaccount:default:training-operator"
ROTATIONS = 3


async def started(tmp_path: Path, **options) -> LocalCluster:
    cluster = LocalCluster(tmp_path / "cluster", kubelet=False, **options)
    await cluster.start()
    return cluster


async def reconciles(kit, api: ApiClient, name: str) -> None:
    await api.request("POST", kit.TFJOBS, body=kit.tfjob(name, workers=1))
    await kit.eventually(lambda: _has_pod(kit, api, f"{name}-worker-0"), what=f"the pod of {name}", within=30)


async def expired(kit, cluster: LocalCluster, user: str) -> None:
    """Until every token of `user` is past its expiry on the server."""
    authn = cluster.server.authn

    async def check() -> bool:
        return all(i.expires <= authn.clock() for i in authn.tokens.values() if i.user == user)

    await kit.eventually(check, what=f"the tokens of {user} to expire")


async def _has_pod(kit, api: ApiClient, pod: str) -> bool:
    return pod in await kit.pods(api)


async def exit_of(kubeconfig: Path, log: Path, *args: str) -> tuple[int, str]:
    """Run the operator until it stops by itself; its exit code and its last line."""
    command = [str(Path(sys.executable).parent / "training-operator"), "run", "--kubeconfig", str(kubeconfig)]
    command += ["--disable-webhooks", "--enable-scheme", "tfjob", *args]
    command += ["--metrics-bind-address=127.0.0.1:0", "--health-probe-bind-address=127.0.0.1:0"]
    with open(log, "wb") as out:  # noqa: ASYNC230 - opening a log file is instant
        process = await asyncio.create_subprocess_exec(*command, stdout=out, stderr=out)
    code = await asyncio.wait_for(process.wait(), 30)
    lines = (await asyncio.to_thread(log.read_text)).strip().splitlines()
    return code, lines[-1] if lines else ""


async def cli_get(kubeconfig: Path, **env: str) -> str:
    """`training-operator get tfjob` with this kubeconfig: its output, after asserting it succeeded."""
    cli = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "training-operator"),
        *("get", "tfjob", "--kubeconfig", str(kubeconfig)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env},
    )
    out, err = await asyncio.wait_for(cli.communicate(), 30)
    assert cli.returncode == 0, err.decode()
    return out.decode()


def with_user(source: Path, target: Path, user: dict[str, str]) -> Path:
    document = yaml.safe_load(source.read_text())
    document["users"][0]["user"] = user
    target.write_text(yaml.safe_dump(document))
    return target


async def test_anonymous_is_refused_in_one_line(cluster, api, tmp_path):
    kubeconfig = with_user(Path(cluster.kubeconfig_path), tmp_path / "anonymous.yaml", {})
    started_at = time.monotonic()
    code, last = await exit_of(kubeconfig, tmp_path / "operator.log")
    assert code != 0
    assert last == (
        'error: User "system:anonymous" cannot list tfjobs.kubeflow.org: check the kubeconfig\'s user'
    )
    assert time.monotonic() - started_at < 15


async def test_wrong_token_is_refused_in_one_line(cluster, api, tmp_path):
    kubeconfig = with_user(Path(cluster.kubeconfig_path), tmp_path / "wrong.yaml", {"token": "not-it"})
    code, last = await exit_of(kubeconfig, tmp_path / "operator.log")
    assert code != 0
    assert last.startswith("error: the API server rejected the credentials of kubeconfig user")
    assert last.endswith("(401): check the kubeconfig's user")


async def test_older_kubernetes_is_refused(tmp_path):
    cluster = await started(tmp_path, kubernetes_version="1.24.3")
    try:
        code, last = await exit_of(Path(cluster.kubeconfig_path), tmp_path / "operator.log")
    finally:
        await cluster.stop()
    assert code != 0
    assert "Kubernetes v1.24.3-local; training-operator needs 1.25 or newer" in last


async def test_optional_feature_without_permission_is_one_warning_and_off(cluster, api, tmp_path, kit):
    cluster.server.authn.forbid("local-admin", ["horizontalpodautoscalers"])
    operator = kit.Operator(Path(cluster.kubeconfig_path), tmp_path / "operator.log")
    operator.args += ["--enable-scheme", "pytorchjob"]
    try:
        await operator.start()
        await reconciles(kit, api, "still-works")
    finally:
        await operator.stop()
    warnings = [line for line in operator.log.read_text().splitlines() if "is off" in line]
    assert len(warnings) == 1
    assert 'User "local-admin" cannot list horizontalpodautoscalers.autoscaling' in warnings[0]


@pytest.fixture
async def exec_cluster(tmp_path):
    cluster = await started(tmp_path, require_issued_tokens=True)
    yield cluster
    await cluster.stop()


async def test_exec_plugin_tokens_expire_three_times_and_reconciling_goes_on(exec_cluster, tmp_path, kit):
    operator_config = exec_kubeconfig(exec_cluster, tmp_path / "operator.yaml", user="operator", ttl=3)
    tester_config = exec_kubeconfig(exec_cluster, tmp_path / "tester.yaml", user="tester", ttl=3600)
    authn = exec_cluster.server.authn
    async with ApiClient(access.load(str(tester_config)), qps=0) as api:
        await localcli.apply_crds(api)
        operator = kit.Operator(operator_config, tmp_path / "operator.log")
        try:
            await operator.start()
            for round_ in range(ROTATIONS + 1):
                await reconciles(kit, api, f"job-{round_}")
                await expired(kit, exec_cluster, "operator")
                exec_cluster.server.watches.cut_all()  # every client reconnects: 401, then fresh
        finally:
            await operator.stop()
    assert authn.issued_count["operator"] >= ROTATIONS + 1


def can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


POD_WRAPPER = (
    "mount --make-rprivate / && mount -t tmpfs tmpfs /run && "
    "mkdir -p /run/secrets/kubernetes.io/serviceaccount && "
    'mount --bind "$SA_DIR" /run/secrets/kubernetes.io/serviceaccount && exec "$@"'
)


@pytest.mark.skipif(not can_unshare(), reason="needs a mount namespace (unshare -m) to stand in for a pod")
async def test_rotated_service_account_token_file_is_followed(cluster, api, tmp_path, kit):
    ttl = 3600.0  # expiry is forced below, at once, rather than waited for
    root = service_account(cluster, tmp_path / "serviceaccount", user=OPERATOR_USER, ttl=ttl)
    operator = kit.Operator(None, tmp_path / "operator.log")
    operator.wrapper = ["unshare", "-m", "sh", "-c", POD_WRAPPER, "pod"]
    operator.env = {
        "SA_DIR": str(root),
        "KUBERNETES_SERVICE_HOST": "127.0.0.1",
        "KUBERNETES_SERVICE_PORT": str(cluster.port),
        "KUBECONFIG": "",
    }
    try:
        await operator.start()
        for round_ in range(ROTATIONS + 1):
            await reconciles(kit, api, f"job-{round_}")
            # the kubelet's rotation: a new token in the file, then the old one expires; cutting the
            # watches makes every client (ours and kopf's) reconnect with a token the server now refuses
            fresh = rotate_token(cluster, root, user=OPERATOR_USER, ttl=ttl)
            cluster.server.authn.revoke(OPERATOR_USER, keep=fresh)
            cluster.server.watches.cut_all()
    finally:
        await operator.stop()
    assert cluster.server.authn.issued_count[OPERATOR_USER] == ROTATIONS + 2


async def test_sdk_and_cli_work_with_the_same_exec_kubeconfig(exec_cluster, tmp_path, kit):
    from training_operator.unified.sdk import AsyncTrainingClient, TrainingClient

    kubeconfig = exec_kubeconfig(
        exec_cluster, tmp_path / "user.yaml", user="user", api_version="client.authentication.k8s.io/v1beta1"
    )
    async with ApiClient(access.load(str(kubeconfig)), qps=0) as api:
        await localcli.apply_crds(api)
    async with AsyncTrainingClient(config_file=str(kubeconfig), job_kind="TFJob") as client:
        await client.create_job(kit.tfjob("from-sdk", workers=1))
        exec_cluster.server.authn.revoke("user")  # the next call gets a 401, runs the plug-in, retries
        assert (await client.get_job("from-sdk")).name == "from-sdk"

    def sync_list() -> list[str]:
        sync = TrainingClient(config_file=str(kubeconfig), job_kind="TFJob")
        try:
            return [job.name for job in sync.list_jobs()]
        finally:
            sync.close()

    assert await asyncio.to_thread(sync_list) == ["from-sdk"]
    assert "from-sdk" in await cli_get(kubeconfig)
    assert exec_cluster.server.authn.issued_count["user"] >= 4  # CRDs, async SDK (twice), sync SDK, CLI


async def test_client_certificate_data_leaves_no_key_file(cluster, api, tmp_path, kit):
    # the local server does not ask for client certificates, but every client loads them into its TLS
    # context: the CLI, the SDK, the operator and kopf must do so without leaving the key in a file
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = _self_signed(key)  # any certificate: the server never checks it
    user = {
        "token": cluster.token,
        "client-certificate-data": base64.b64encode(cert_pem).decode(),
        "client-key-data": base64.b64encode(key_pem).decode(),
    }
    kubeconfig = with_user(Path(cluster.kubeconfig_path), tmp_path / "cert.yaml", user)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    operator = kit.Operator(kubeconfig, tmp_path / "operator.log")
    operator.env = {"TMPDIR": str(scratch)}
    try:
        await operator.start()
        await reconciles(kit, api, "with-cert")
    finally:
        await operator.stop()
    assert "with-cert" in await cli_get(kubeconfig, TMPDIR=str(scratch))
    assert list(scratch.iterdir()) == []


def _self_signed(key) -> bytes:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "operator")])
    now = datetime.datetime.now(datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
