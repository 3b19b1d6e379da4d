"""The webhook serving certificate, managed by the operator itself (sdk-and-ops.md C.6; upstream uses
cert-controller): a self-signed CA `training-operator-ca` and a serving certificate for
`<webhook-service-name>.<MY_POD_NAMESPACE>.svc`, kept in the Secret `--webhook-secret-name` (keys `ca.crt`,
`ca.key`, `tls.crt`, `tls.key`), with the CA written into our ValidatingWebhookConfiguration's `caBundle`.

Every replica runs it; the Secret is written with resourceVersion preconditions, so when two replicas race
one wins and the other adopts its certificate. Files are written into the certificate directory when it is
writable; in a Deployment the directory is the Secret's read-only mount, which the kubelet refreshes.
`--disable-cert-management` leaves all of this to cert-manager.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import logging
import os
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from training_operator.core.kube.client import ApiClient, ApiError

log = logging.getLogger(__name__)
WEBHOOK_CONFIGURATION = "validator.training-operator.kubeflow.org"
RENEW_BEFORE = datetime.timedelta(days=30)
KEYS = ("ca.crt", "ca.key", "tls.crt", "tls.key")


def generate(service: str, namespace: str) -> dict[str, bytes]:
    """A fresh CA and a serving certificate signed by it, as PEM."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "training-operator-ca"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "training-operator"),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    host = f"{service}.{namespace}.svc"
    names: list[x509.GeneralName] = [
        x509.DNSName(host),
        x509.DNSName(f"{host}.cluster.local"),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return {
        "ca.crt": ca.public_bytes(serialization.Encoding.PEM),
        "ca.key": _pem(ca_key),
        "tls.crt": leaf.public_bytes(serialization.Encoding.PEM),
        "tls.key": _pem(key),
    }


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def usable(material: dict[str, bytes]) -> bool:
    """All four keys present and the serving certificate not within 30 days of expiry."""
    if not all(material.get(key) for key in KEYS):
        return False
    leaf = x509.load_pem_x509_certificate(material["tls.crt"])
    return leaf.not_valid_after_utc - datetime.datetime.now(datetime.UTC) > RENEW_BEFORE


async def ensure(client: ApiClient, *, secret: str, namespace: str, service: str, cert_dir: str) -> bytes:
    """Make the Secret, the files and the caBundle hold one usable certificate; the CA PEM."""
    material = await _secret_material(client, secret=secret, namespace=namespace, service=service)
    _write_files(material, cert_dir)
    await _inject_ca(client, material["ca.crt"])
    return material["ca.crt"]


async def _secret_material(
    client: ApiClient, *, secret: str, namespace: str, service: str
) -> dict[str, bytes]:
    path = f"/api/v1/namespaces/{namespace}/secrets/{secret}"
    try:
        current: dict[str, Any] | None = await client.request("GET", path)
    except ApiError as error:
        if not error.not_found:
            raise
        current = None
    found = {k: base64.b64decode(v) for k, v in ((current or {}).get("data") or {}).items()}
    if usable(found):
        return found
    fresh = generate(service, namespace)
    data = {k: base64.b64encode(v).decode() for k, v in fresh.items()}
    try:
        if current is None:
            body = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": secret, "namespace": namespace},
                "type": "Opaque",
                "data": data,
            }
            await client.request("POST", f"/api/v1/namespaces/{namespace}/secrets", body=body)
        else:
            await client.request("PUT", path, body={**current, "data": data})  # carries its resourceVersion
    except ApiError as error:
        if error.status != 409:
            raise
        log.info("another replica wrote the webhook certificate first; using it")
        return await _secret_material(client, secret=secret, namespace=namespace, service=service)
    log.info("generated the webhook serving certificate for %s.%s.svc", service, namespace)
    return fresh


def _write_files(material: dict[str, bytes], cert_dir: str) -> None:
    try:
        os.makedirs(cert_dir, exist_ok=True)
        for name in ("ca.crt", "tls.crt", "tls.key"):
            target = os.path.join(cert_dir, name)
            with open(target + ".tmp", "wb") as stream:
                stream.write(material[name])
            os.replace(target + ".tmp", target)
    except OSError as error:  # the read-only Secret mount of a Deployment: the kubelet projects the files
        log.debug("certificate directory %s not writable (%s); waiting for the Secret mount", cert_dir, error)


async def _inject_ca(client: ApiClient, ca: bytes) -> None:
    path = f"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{WEBHOOK_CONFIGURATION}"
    try:
        config = await client.request("GET", path)
    except ApiError as error:
        if error.not_found:
            return  # not installed (local runs, tests): nothing to inject
        raise
    bundle = base64.b64encode(ca).decode()
    ops = [
        {"op": "add", "path": f"/webhooks/{i}/clientConfig/caBundle", "value": bundle}
        for i, hook in enumerate(config.get("webhooks") or [])
        if (hook.get("clientConfig") or {}).get("caBundle") != bundle
    ]
    if ops:
        await client.request("PATCH", path, body=ops, content_type="application/json-patch+json")
