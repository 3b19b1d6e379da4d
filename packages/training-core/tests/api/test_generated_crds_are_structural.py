"""CRDs generated from the models are what a real API server accepts and what Kubeflow's SDK needs.

Covers: structural schemas (every node typed or preserve-unknown, CEL only for the queue's V8 rule), pod
templates never pruned, `runPolicy` defaulting to `{}`, `suspend` defaulting to false, status and scale
subresources, printer columns, short names and categories.
"""

from training_operator.core import crd
from training_operator.core.testing.demo_kind import DemoFramework

document = crd.crd_for(DemoFramework())
version = document["spec"]["versions"][0]
spec = version["schema"]["openAPIV3Schema"]["properties"]["spec"]


def nodes(schema, path="$"):
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from nodes(sub, f"{path}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from nodes(schema[key], f"{path}.{key}")


def test_every_node_is_structural():
    for path, node in nodes(version["schema"]["openAPIV3Schema"]):
        typed = "type" in node or node.get("x-kubernetes-int-or-string")
        assert typed, path
        if "x-kubernetes-validations" in node:  # the one CEL rule: V8's transition rule (needs 1.25)
            assert path.endswith(".schedulingPolicy.queue"), path
            assert node["x-kubernetes-validations"] == [
                {"message": "spec.runPolicy.schedulingPolicy.queue is immutable", "rule": "self == oldSelf"}
            ]
        assert not {"anyOf", "oneOf", "allOf", "$ref", "nullable"} & node.keys(), path


def test_pod_templates_are_never_pruned():
    template = spec["properties"]["demoReplicaSpecs"]["additionalProperties"]["properties"]["template"]
    assert template == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_run_policy_defaults_for_kubeflow_sdk():
    run_policy = spec["properties"]["runPolicy"]
    assert run_policy["default"] == {}
    assert run_policy["properties"]["suspend"]["default"] is False


def test_subresources_columns_and_names():
    assert version["subresources"]["status"] == {}
    assert version["subresources"]["scale"]["specReplicasPath"] == ".spec.demoReplicaSpecs.Worker.replicas"
    columns = [(c["name"], c["jsonPath"]) for c in version["additionalPrinterColumns"]]
    assert columns == [("State", ".status.conditions[-1:].type"), ("Age", ".metadata.creationTimestamp")]
    names = document["spec"]["names"]
    assert names["shortNames"] == ["dj"]
    assert names["categories"] == ["kubeflow", "all"]
    assert document["metadata"]["name"] == "demojobs.kubeflow.org"
