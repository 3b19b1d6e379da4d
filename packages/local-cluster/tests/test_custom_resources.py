"""CRDs: structural-schema validation (types, required, enum, min/max, pattern, int-or-string), pruning of
unknown fields except under x-kubernetes-preserve-unknown-fields and embedded resources, `default:`,
status and scale subresources, additionalPrinterColumns served as a Table."""

import pytest

CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
JOBS = "/apis/kubeflow.org/v1/namespaces/default/trainjobs"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "required": ["replicas"],
            "properties": {
                "replicas": {"type": "integer", "minimum": 0, "maximum": 10},
                "policy": {"type": "string", "enum": ["Never", "OnFailure"], "default": "Never"},
                "name": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 8},
                "port": {"x-kubernetes-int-or-string": True},
                "ratio": {"type": "number"},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "template": {
                    "type": "object",
                    "x-kubernetes-embedded-resource": True,
                    "x-kubernetes-preserve-unknown-fields": True,
                },
                "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
                "nested": {
                    "type": "object",
                    "properties": {"flag": {"type": "boolean", "default": True}},
                    "default": {},
                },
            },
        },
        "status": {
            "type": "object",
            "properties": {"replicas": {"type": "integer"}, "state": {"type": "string"}},
        },
    },
}


def trainjob_crd() -> dict:
    return {
        "metadata": {"name": "trainjobs.kubeflow.org"},
        "spec": {
            "group": "kubeflow.org",
            "scope": "Namespaced",
            "names": {
                "plural": "trainjobs",
                "singular": "trainjob",
                "kind": "TrainJob",
                "shortNames": ["tj"],
            },
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": SCHEMA},
                    "subresources": {
                        "status": {},
                        "scale": {
                            "specReplicasPath": ".spec.replicas",
                            "statusReplicasPath": ".status.replicas",
                        },
                    },
                    "additionalPrinterColumns": [
                        {"name": "State", "type": "string", "jsonPath": ".status.state"},
                        {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                }
            ],
        },
    }


@pytest.fixture
def crd_api(api):
    assert api.post(CRDS, trainjob_crd())[0] == 201
    return api


def a_trainjob(name: str = "t", **spec) -> dict:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TrainJob",
        "metadata": {"name": name},
        "spec": {"replicas": 1, **spec},
    }


@pytest.mark.parametrize(
    ("spec", "field", "reason"),
    [
        pytest.param({"replicas": "two"}, "spec.replicas", "FieldValueTypeInvalid", id="type"),
        pytest.param({"replicas": 11}, "spec.replicas", "FieldValueInvalid", id="maximum"),
        pytest.param({"replicas": -1}, "spec.replicas", "FieldValueInvalid", id="minimum"),
        pytest.param({"replicas": 1, "policy": "Always"}, "spec.policy", "FieldValueNotSupported", id="enum"),
        pytest.param({"replicas": 1, "name": "UPPER"}, "spec.name", "FieldValueInvalid", id="pattern"),
        pytest.param(
            {"replicas": 1, "name": "abcdefghij"}, "spec.name", "FieldValueTooLong", id="max-length"
        ),
        pytest.param({"replicas": 1, "port": 1.5}, "spec.port", "FieldValueTypeInvalid", id="int-or-string"),
        pytest.param(
            {"replicas": 1, "tags": ["a", "b", "c"]}, "spec.tags", "FieldValueTooMany", id="max-items"
        ),
        pytest.param({"replicas": 1, "tags": [1]}, "spec.tags[0]", "FieldValueTypeInvalid", id="item-type"),
    ],
)
def test_schema_violations_are_invalid(crd_api, spec, field, reason):
    status, body = crd_api.post(JOBS, {"metadata": {"name": "bad"}, "spec": spec})
    assert status == 422, body
    causes = {(c["field"], c["reason"]) for c in body["details"]["causes"]}
    assert (field, reason) in causes


def test_required_field(crd_api):
    status, body = crd_api.post(JOBS, {"metadata": {"name": "bad"}, "spec": {}})
    assert status == 422
    assert body["details"]["causes"][0] == {
        "reason": "FieldValueRequired",
        "message": "Required value",
        "field": "spec.replicas",
    }


def test_pruning_defaulting_and_preserved_fields(crd_api):
    body = a_trainjob(
        port="8080",
        unknown="drop me",
        free={"anything": {"goes": 1}},
        template={"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"}, "spec": {"a": 1}},
    )
    body["extra"] = "dropped too"
    body["metadata"]["nmae"] = "not ObjectMeta"
    status, stored = crd_api.post(JOBS, body, fieldValidation="Ignore")  # what a non-strict client gets
    assert status == 201, stored
    spec = stored["spec"]
    assert "unknown" not in spec
    assert "extra" not in stored
    assert "nmae" not in stored["metadata"]
    assert spec["policy"] == "Never"
    assert spec["nested"] == {"flag": True}
    assert spec["free"] == {"anything": {"goes": 1}}
    assert spec["template"]["metadata"] == {"name": "x"}
    assert spec["template"]["kind"] == "Pod"
    assert spec["port"] == "8080"


def test_status_subresource_and_generation(crd_api):
    body = {**a_trainjob(), "status": {"state": "ignored"}}
    _status, created = crd_api.post(JOBS, body)
    assert "status" not in created
    _status, after = crd_api.patch(f"{JOBS}/t/status", {"status": {"state": "Running", "replicas": 1}})
    assert after["status"]["state"] == "Running"
    assert after["metadata"]["generation"] == 1
    _status, after = crd_api.patch(f"{JOBS}/t", {"spec": {"replicas": 2}, "status": {"state": "Hacked"}})
    assert after["status"]["state"] == "Running"
    assert after["metadata"]["generation"] == 2
    status, _body = crd_api.patch(f"{JOBS}/t/status", {"status": {"replicas": "many"}})
    assert status == 422


def test_scale_subresource(crd_api):
    crd_api.post(JOBS, a_trainjob(replicas=3))
    crd_api.patch(f"{JOBS}/t/status", {"status": {"replicas": 2}})
    status, scale = crd_api.get(f"{JOBS}/t/scale")
    assert status == 200
    assert scale["kind"] == "Scale"
    assert scale["spec"]["replicas"] == 3
    assert scale["status"]["replicas"] == 2
    status, scale = crd_api.put(f"{JOBS}/t/scale", {"spec": {"replicas": 5}})
    assert status == 200
    assert crd_api.get(f"{JOBS}/t")[1]["spec"]["replicas"] == 5


def test_printer_columns_served_as_table(crd_api):
    crd_api.post(JOBS, a_trainjob())
    crd_api.patch(f"{JOBS}/t/status", {"status": {"state": "Running"}})
    response = crd_api.session.get(
        crd_api.url + JOBS, headers={"Accept": TABLE}, verify=crd_api.ca, timeout=10
    )
    table = response.json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "State", "Replicas", "Age"]
    assert table["rows"][0]["cells"][:3] == ["t", "Running", 1]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_served_version_sets_api_version(crd_api):
    _status, stored = crd_api.post(JOBS, a_trainjob())
    assert stored["apiVersion"] == "kubeflow.org/v1"
    assert stored["kind"] == "TrainJob"


def test_official_client_custom_objects(kube, crd_api):
    import kubernetes

    custom = kubernetes.client.CustomObjectsApi(kube)
    custom.create_namespaced_custom_object("kubeflow.org", "v1", "default", "trainjobs", a_trainjob("sdk"))
    got = custom.get_namespaced_custom_object("kubeflow.org", "v1", "default", "trainjobs", "sdk")
    assert got["spec"]["policy"] == "Never"
    custom.patch_namespaced_custom_object_status(
        "kubeflow.org", "v1", "default", "trainjobs", "sdk", {"status": {"state": "Done"}}
    )
    assert (
        custom.get_namespaced_custom_object_status("kubeflow.org", "v1", "default", "trainjobs", "sdk")[
            "status"
        ]["state"]
        == "Done"
    )


def test_strict_field_validation_rejects_unknown_fields(crd_api):
    status, body = crd_api.request("POST", JOBS, a_trainjob(unknown=1), fieldValidation="Strict")
    assert status == 400
    assert body["reason"] == "BadRequest"
    assert 'strict decoding error: unknown field "spec.unknown"' in body["message"]
    status, stored = crd_api.request("POST", JOBS, a_trainjob(unknown=1), fieldValidation="Ignore")
    assert status == 201
    assert "unknown" not in stored["spec"]


def test_job_kinds_are_strict_unless_the_client_asks_otherwise(crd_api, api):
    # a real server prunes silently without fieldValidation; the local one refuses typos in kubeflow.org
    # kinds whoever sends them (the SDKs never ask), while status writes keep the pruning default
    body = a_trainjob(unknown=1)
    body["metadata"]["labelz"] = {"a": "b"}
    status, answer = crd_api.request("POST", JOBS, body)
    assert status == 400
    assert answer["message"].endswith(
        'strict decoding error: unknown field "metadata.labelz", unknown field "spec.unknown"'
    )
    assert crd_api.post(JOBS, a_trainjob())[0] == 201
    status, after = crd_api.patch(f"{JOBS}/t/status", {"status": {"state": "Running", "extra": 1}})
    assert status == 200
    assert "extra" not in after["status"]
    other = trainjob_crd()
    other["metadata"]["name"] = "trainjobs.example.com"
    other["spec"]["group"] = "example.com"
    assert api.post(CRDS, other)[0] == 201
    status, stored = api.post("/apis/example.com/v1/namespaces/default/trainjobs", a_trainjob(unknown=1))
    assert status == 201
    assert "unknown" not in stored["spec"]
