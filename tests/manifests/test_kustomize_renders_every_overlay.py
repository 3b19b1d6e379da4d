"""The manifests: `kubectl kustomize` renders every overlay; the objects keep upstream's names, labels, ports
and probe paths; the pod runs non-root with a read-only root filesystem and no privilege escalation; the
ClusterRole covers every kind the operator serves; the webhook paths are the handlers' ids.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from training_operator.core import discovery
from training_operator.unified import webhooks

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = sorted(p.name for p in (ROOT / "manifests" / "overlays").iterdir() if p.is_dir())
pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")


def render(overlay: str) -> list[dict]:
    done = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "manifests" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [d for d in yaml.safe_load_all(done.stdout) if d]


def one(objects, kind, name=None):
    found = [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    assert len(found) == 1, (kind, name, [o["metadata"]["name"] for o in found])
    return found[0]


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request):
    return render(request.param)


def test_there_are_both_overlays():
    assert OVERLAYS == ["kubeflow", "standalone"]


def test_every_kind_has_a_crd(objects):
    names = {o["metadata"]["name"] for o in objects if o["kind"] == "CustomResourceDefinition"}
    assert names == {
        f"{p}.kubeflow.org"
        for p in ("tfjobs", "pytorchjobs", "mxjobs", "xgboostjobs", "mpijobs", "paddlejobs", "jaxjobs")
    }


def test_the_deployment_keeps_upstreams_shape_and_is_locked_down(objects):
    deployment = one(objects, "Deployment", "training-operator")
    assert deployment["metadata"]["namespace"] == "kubeflow"
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert deployment["spec"]["selector"]["matchLabels"] == {"control-plane": "kubeflow-training-operator"}
    assert container["image"].startswith("training-operator:v")
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": 8081}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": 8081}
    assert {p["containerPort"] for p in container["ports"]} == {8080, 9443}
    security = container["securityContext"]
    assert security["allowPrivilegeEscalation"] is False
    assert security["readOnlyRootFilesystem"] is True
    assert pod["securityContext"]["runAsNonRoot"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp/k8s-webhook-server/serving-certs" in mounts
    assert pod["serviceAccountName"] == "training-operator"


def test_the_service_serves_metrics_and_webhooks(objects):
    service = one(objects, "Service", "training-operator")
    ports = {p["name"]: (p["port"], p["targetPort"]) for p in service["spec"]["ports"]}
    assert ports == {"monitoring-port": (8080, 8080), "webhook-server": (443, 9443)}
    assert service["metadata"]["annotations"]["prometheus.io/scrape"] == "true"


def test_the_cluster_role_covers_every_installed_kind(objects):
    role = one(objects, "ClusterRole", "training-operator")
    granted = {(g, r) for rule in role["rules"] for g in rule["apiGroups"] for r in rule["resources"]}
    for framework in discovery.discover().values():
        kind = framework.kind
        assert (kind.group, kind.plural) in granted
        assert (kind.group, f"{kind.plural}/status") in granted
    assert ("coordination.k8s.io", "leases") in granted
    assert ("scheduling.k8s.io", "priorityclasses") in granted
    binding = one(objects, "ClusterRoleBinding", "training-operator")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "training-operator", "namespace": "kubeflow"}
    ]


def test_webhook_paths_are_the_handler_ids(objects):
    config = one(objects, "ValidatingWebhookConfiguration", "validator.training-operator.kubeflow.org")
    paths = {w["clientConfig"]["service"]["path"] for w in config["webhooks"]}
    v1 = [f.kind for f in discovery.discover().values() if f.kind.version == "v1"]
    assert paths == {"/" + webhooks.handler_id(kind) for kind in v1}
    assert all(w["clientConfig"]["service"]["namespace"] == "kubeflow" for w in config["webhooks"])
    assert all(w["failurePolicy"] == "Fail" for w in config["webhooks"])


def test_the_local_cluster_registers_the_same_webhooks(objects):
    # `local up` builds its configuration with webhooks.configuration: only clientConfig may differ
    config = one(objects, "ValidatingWebhookConfiguration", "validator.training-operator.kubeflow.org")
    kinds = [f.kind for f in discovery.discover().values()]
    service = {"name": "training-operator", "namespace": "kubeflow", "port": 443}
    built = webhooks.configuration(
        config["metadata"]["name"], kinds, lambda path: {"service": {**service, "path": path}}
    )
    assert sorted(built["webhooks"], key=lambda w: w["name"]) == sorted(
        config["webhooks"], key=lambda w: w["name"]
    )


def test_the_webhook_secret_starts_empty_with_a_stable_name(objects):
    secret = one(objects, "Secret", "training-operator-webhook-cert")
    assert not secret.get("data")
