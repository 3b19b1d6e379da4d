"""Admission webhooks: a MutatingWebhookConfiguration's JSON patch is applied, a
ValidatingWebhookConfiguration can deny with its message, rules select by operation and resource,
failurePolicy Ignore/Fail; the webhooks' warnings reach the client as `Warning` headers."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

CMS = "/api/v1/namespaces/default/configmaps"
ADMISSION = "/apis/admissionregistration.k8s.io/v1"


class Hook(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        request = review["request"]
        Hook.seen.append(request)
        response = {"uid": request["uid"], "allowed": True}
        if self.path == "/mutate":
            patch = [{"op": "add", "path": "/metadata/labels", "value": {"mutated": "yes"}}]
            response.update(
                patchType="JSONPatch", patch=base64.b64encode(json.dumps(patch).encode()).decode()
            )
        elif request["object"]["metadata"]["name"].startswith("forbidden"):
            response = {
                "uid": request["uid"],
                "allowed": False,
                "status": {"code": 403, "message": "names may not start with forbidden"},
            }
        if "warned" in request["object"]["metadata"]["name"]:
            response["warnings"] = ['field "x" is deprecated', "use y instead"]
        body = json.dumps(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        return


@pytest.fixture
def hook_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Hook.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def webhook(name: str, url: str, operations: list[str], **extra) -> dict:
    return {
        "name": name,
        "clientConfig": {"url": url},
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "rules": [
            {"operations": operations, "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]}
        ],
        **extra,
    }


def test_mutating_and_validating_webhooks(api, hook_url):
    api.post(
        f"{ADMISSION}/mutatingwebhookconfigurations",
        {
            "metadata": {"name": "m"},
            "webhooks": [webhook("mutate.example.com", f"{hook_url}/mutate", ["CREATE"])],
        },
    )
    api.post(
        f"{ADMISSION}/validatingwebhookconfigurations",
        {
            "metadata": {"name": "v"},
            "webhooks": [webhook("validate.example.com", f"{hook_url}/validate", ["CREATE", "UPDATE"])],
        },
    )
    status, body = api.post(CMS, {"metadata": {"name": "fine"}})
    assert status == 201
    assert body["metadata"]["labels"] == {"mutated": "yes"}
    status, body = api.post(CMS, {"metadata": {"name": "forbidden-one"}})
    assert status == 403
    assert (
        body["message"]
        == 'admission webhook "validate.example.com" denied the request: names may not start with forbidden'
    )
    operations = [(r["operation"], r["resource"]["resource"]) for r in Hook.seen]
    assert ("CREATE", "configmaps") in operations
    # Pods are not selected by these rules.
    count = len(Hook.seen)
    api.post("/api/v1/namespaces/default/secrets", {"metadata": {"name": "s"}})
    assert len(Hook.seen) == count


def test_failure_policy(api):
    api.post(
        f"{ADMISSION}/validatingwebhookconfigurations",
        {
            "metadata": {"name": "down"},
            "webhooks": [
                webhook("down.example.com", "http://127.0.0.1:1/none", ["CREATE"], failurePolicy="Ignore")
            ],
        },
    )
    assert api.post(CMS, {"metadata": {"name": "ignored"}})[0] == 201
    api.patch(
        f"{ADMISSION}/validatingwebhookconfigurations/down",
        [{"op": "replace", "path": "/webhooks/0/failurePolicy", "value": "Fail"}],
        content_type="application/json-patch+json",
    )
    status, body = api.post(CMS, {"metadata": {"name": "refused"}})
    assert status == 500
    assert 'failed calling webhook "down.example.com"' in body["message"]


def test_webhook_warnings_become_warning_headers_on_admission_and_refusal(api, hook_url):
    api.post(
        f"{ADMISSION}/validatingwebhookconfigurations",
        {
            "metadata": {"name": "v"},
            "webhooks": [webhook("validate.example.com", f"{hook_url}/validate", ["CREATE"])],
        },
    )

    def create(name: str):
        return api.session.post(api.url + CMS, json={"metadata": {"name": name}}, verify=api.ca, timeout=30)

    # The API server's format: warn-code 299, agent "-", the text quoted with quotes escaped.
    expected = ['299 - "field \\"x\\" is deprecated"', '299 - "use y instead"']
    admitted = create("warned")
    assert admitted.status_code == 201
    assert admitted.raw.headers.getlist("Warning") == expected
    refused = create("forbidden-warned")
    assert refused.status_code == 403
    assert refused.raw.headers.getlist("Warning") == expected
    assert "Warning" not in create("quiet").headers
