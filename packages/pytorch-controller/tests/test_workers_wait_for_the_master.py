"""The init container that holds Workers back until the Master's name resolves (frameworks.md §2.7).

Covers: only Workers of a job with a Master get it (not the Master, not worker-only or elastic jobs); it is
appended after the template's own init containers and carries no operator env; the image and tries come
from the operator's flags; a template file (Go `{{.Field}}` placeholders, values HTML-escaped like Go's
html/template) replaces the built-in one and may add several containers; an already parsed template works
the same; a template that is not a YAML list, or uses an unknown field or action, fails the pod with a
reconcile error instead of creating a Worker that never waits.
"""

import pytest

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
WITH_INIT = {
    "spec": {
        "initContainers": [{"name": "fetch-data", "image": "busybox"}],
        "containers": [{"name": "pytorch", "image": "pt:1"}],
    }
}


def pytorchjob(name, specs, **spec):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


JOB = pytorchjob(
    "w", {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": 2, "template": WITH_INIT}}
)


def wait_command(tries, address):
    return (
        f"err=1;for i in $(seq {tries}); do if nslookup {address}; then err=0 && break; fi;"
        "echo waiting for master; sleep 2; done; exit $err"
    )


@pytest.mark.parametrize(
    ("body", "replica_type", "index"),
    [
        pytest.param(JOB, "Master", 0, id="master"),
        pytest.param(
            pytorchjob("ddp", {"Worker": {"replicas": 2, "template": PT}}), "Worker", 1, id="worker-only"
        ),
        pytest.param(
            pytorchjob("el", {"Worker": {"replicas": 2, "template": PT}}, elasticPolicy={"maxReplicas": 3}),
            "Worker",
            0,
            id="elastic-worker-only",
        ),
    ],
)
def test_pods_that_do_not_wait(pod_of, body, replica_type, index):
    assert "initContainers" not in pod_of(body, replica_type, index)["spec"]


def test_flags_choose_image_and_tries_and_the_template_init_container_stays_first(pod_of):
    options = EngineOptions(
        pytorch_init_container_image="registry/alpine:3.19", pytorch_init_container_max_tries=7
    )
    init = pod_of(JOB, "Worker", 1, options=options)["spec"]["initContainers"]
    assert init == [
        {"name": "fetch-data", "image": "busybox"},
        {
            "name": "init-pytorch",
            "image": "registry/alpine:3.19",
            "imagePullPolicy": "IfNotPresent",
            "resources": {
                "limits": {"cpu": "100m", "memory": "20Mi"},
                "requests": {"cpu": "50m", "memory": "10Mi"},
            },
            "command": ["sh", "-c", wait_command(7, "w-master-0")],
        },
    ]
    assert all("env" not in container for container in init)


TEMPLATE_FILE = """
- name: wait
  image: {{.InitContainerImage}}
  command: ["sh", "-c", "until nslookup {{ .MasterAddr }}; do sleep 1; done # {{.MaxTries}}"]
- name: second
  image: "busybox&co"
"""


def test_template_file_replaces_the_built_in(pod_of):
    options = EngineOptions(
        pytorch_init_container_image="img+1", pytorch_init_container_template_text=TEMPLATE_FILE
    )
    init = pod_of(JOB, "Worker", 0, options=options)["spec"]["initContainers"]
    assert init[1:] == [
        # Go's html/template escapes substituted values ("+" becomes "&#43;"), literal text is kept
        {
            "name": "wait",
            "image": "img&#43;1",
            "command": ["sh", "-c", "until nslookup w-master-0; do sleep 1; done # 100"],
        },
        {"name": "second", "image": "busybox&co"},
    ]


def test_parsed_template_is_one_container(pod_of):
    template = {"name": "wait", "image": "{{.InitContainerImage}}", "args": ["{{.MasterAddr}}"]}
    options = EngineOptions(pytorch_init_container_template=template)
    init = pod_of(JOB, "Worker", 0, options=options)["spec"]["initContainers"]
    assert init[1:] == [{"name": "wait", "image": "alpine:3.10", "args": ["w-master-0"]}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("name: not-a-list", "YAML list of containers", id="not-a-list"),
        pytest.param("- name: x\n  image: [unclosed", "not valid YAML", id="bad-yaml"),
        pytest.param("- name: {{.Namespace}}", "can't evaluate field Namespace", id="unknown-field"),
        pytest.param("- name: {{if .MasterAddr}}x{{end}}", "unsupported action", id="unsupported-action"),
    ],
)
def test_broken_template_fails_the_worker_pod(pod_of, text, message):
    options = EngineOptions(pytorch_init_container_template_text=text)
    with pytest.raises(ReconcileError, match=message):
        pod_of(JOB, "Worker", 0, options=options)
