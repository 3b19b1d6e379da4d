"""kubectl against the local cluster: create, apply (client-side strategic merge), get with CRD printer
columns, describe, logs -f, delete. Skipped with a reason when kubectl is not installed."""

import json
import textwrap

CRD = textwrap.dedent("""
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: gadgets.example.org
    spec:
      group: example.org
      scope: Namespaced
      names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
      versions:
      - name: v1
        served: true
        storage: true
        subresources: {status: {}}
        additionalPrinterColumns:
        - {name: Size, type: integer, jsonPath: .spec.size}
        - {name: Phase, type: string, jsonPath: .status.phase}
        schema:
          openAPIV3Schema:
            type: object
            properties:
              spec: {type: object, properties: {size: {type: integer}}}
              status: {type: object, properties: {phase: {type: string}}}
""")

POD = textwrap.dedent("""
    apiVersion: v1
    kind: Pod
    metadata:
      name: talker
      labels: {app: talker}
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: local
        command: ["sh", "-c", "echo one; sleep 1; echo two"]
        env: [{name: A, value: "1"}]
""")


def test_get_namespaces_and_nodes(kubectl):
    assert "default" in kubectl("get", "namespaces").stdout
    assert "local-node" in kubectl("get", "nodes").stdout
    assert "pods" in kubectl("api-resources").stdout


def test_create_apply_get_columns_and_delete_custom_resources(kubectl, wait):
    kubectl("apply", "-f", "-", input=CRD)
    kubectl(
        "apply",
        "-f",
        "-",
        input="apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 3}\n",
    )
    out = kubectl("get", "gadgets").stdout.splitlines()
    assert out[0].split() == ["NAME", "SIZE", "PHASE"]
    assert out[1].split()[:2] == ["g1", "3"]
    assert "g1" in kubectl("get", "gd").stdout
    applied = kubectl(
        "apply",
        "-f",
        "-",
        input="apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g1}\nspec: {size: 5}\n",
    )
    assert "configured" in applied.stdout
    assert json.loads(kubectl("get", "gadget", "g1", "-o", "json").stdout)["spec"]["size"] == 5
    kubectl("delete", "gadget", "g1")
    assert kubectl("get", "gadget", "g1", check=False).returncode != 0


def test_pod_apply_describe_logs_follow_delete(kubectl, wait):
    assert "created" in kubectl("apply", "-f", "-", input=POD).stdout
    assert "configured" in kubectl("apply", "-f", "-", input=POD.replace('value: "1"', 'value: "2"')).stdout
    env = json.loads(kubectl("get", "pod", "talker", "-o", "jsonpath={.spec.containers[0].env}").stdout)
    assert env == [{"name": "A", "value": "2"}]
    wait(
        lambda: (
            kubectl("get", "pod", "talker", "-o", "jsonpath={.status.phase}").stdout
            in ("Running", "Succeeded")
        ),
        message="started",
    )
    assert kubectl("logs", "-f", "talker").stdout == "one\ntwo\n"
    described = kubectl("describe", "pod", "talker").stdout
    assert "Name:" in described
    assert "talker" in described
    assert "local-node" in described
    assert "Scheduled" in described  # events recorded by the scheduler and the kubelet
    assert "Started" in described
    table = kubectl("get", "pods").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    kubectl("delete", "pod", "talker", "--wait=true")
    assert "NotFound" in kubectl("get", "pod", "talker", check=False).stderr


def test_create_invalid_object_shows_server_error(kubectl):
    result = kubectl("create", "configmap", "Bad_Name", check=False)
    assert result.returncode != 0
    assert "Invalid value" in result.stderr


def test_apply_with_unknown_field_is_refused_like_a_real_server(kubectl):
    kubectl("apply", "-f", "-", input=CRD)
    result = kubectl(
        "apply",
        "-f",
        "-",
        check=False,
        input="apiVersion: example.org/v1\nkind: Gadget\nmetadata: {name: g2}\nspec: {size: 3, hue: red}\n",
    )
    assert result.returncode != 0
    assert 'unknown field "spec.hue"' in result.stderr
