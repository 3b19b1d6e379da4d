"""The `init-pytorch` init container (frameworks.md §2.7), driven by the operator's flags.

Covers: which pods get it (Workers of a job with a Master; never the Master, never worker-only or elastic
worker-only jobs); `--pytorch-init-container-image` and `--pytorch-init-container-max-tries` in the built-in
container; a template file (`{{.MasterAddr}}`, `{{.InitContainerImage}}`, `{{.MaxTries}}`, with or without
spaces) whose every container is appended after the template's own init containers; Go html/template
escaping of substituted values; an empty file adds nothing; a file that is not a YAML list of containers, or
uses another template action, fails the pod with a reconcile error; a pre-parsed template mapping.
"""

from typing import Any

import pytest

from training_operator.core.errors import ReconcileError
from training_operator.core.framework import EngineOptions, ReplicaRef
from training_operator.pytorch.init_container import InitContainerOptions
from training_operator.pytorch.plugin import PyTorchFramework

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def pytorchjob(specs: dict[str, Any], name: str = "job", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


MASTER_AND_WORKER = pytorchjob(
    {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": 2, "template": PT}}
)


def init_of(
    body: dict[str, Any], replica_type: str, index: int, options: InitContainerOptions
) -> list[dict[str, Any]]:
    framework = PyTorchFramework(options)
    job = framework.default(framework.parse(body))
    spec = job.replica_specs()[replica_type]
    assert spec is not None
    replica = ReplicaRef(replica_type, index)
    pod = framework.replica_pod(job, replica, dict(spec.template), options=EngineOptions())
    return list(pod["spec"].get("initContainers") or [])


def wait_command(master: str, tries: int) -> list[str]:
    return [
        "sh",
        "-c",
        f"err=1;for i in $(seq {tries}); do if nslookup {master}; then err=0 && break; fi;"
        "echo waiting for master; sleep 2; done; exit $err",
    ]


@pytest.mark.parametrize(
    ("body", "replica_type", "index", "count"),
    [
        pytest.param(MASTER_AND_WORKER, "Worker", 0, 1, id="worker-0-of-master-job"),
        pytest.param(MASTER_AND_WORKER, "Worker", 1, 1, id="worker-1-of-master-job"),
        pytest.param(MASTER_AND_WORKER, "Master", 0, 0, id="master-never-waits"),
        pytest.param(
            pytorchjob({"Worker": {"replicas": 2, "template": PT}}), "Worker", 0, 0, id="worker-only"
        ),
        pytest.param(
            pytorchjob({"Worker": {"replicas": 2, "template": PT}}, elasticPolicy={"maxReplicas": 3}),
            "Worker",
            1,
            0,
            id="elastic-worker-only",
        ),
    ],
)
def test_only_workers_of_a_job_with_a_master_wait(body, replica_type, index, count):
    assert len(init_of(body, replica_type, index, InitContainerOptions())) == count


def test_image_and_max_tries_come_from_the_operator_flags():
    options = InitContainerOptions(image="registry.local/busybox:1", max_tries=7)
    (init,) = init_of(MASTER_AND_WORKER, "Worker", 1, options)
    assert init == {
        "name": "init-pytorch",
        "image": "registry.local/busybox:1",
        "imagePullPolicy": "IfNotPresent",
        "resources": {
            "limits": {"cpu": "100m", "memory": "20Mi"},
            "requests": {"cpu": "50m", "memory": "10Mi"},
        },
        "command": wait_command("job-master-0", 7),
    }


TEMPLATE_FILE = """\
- name: wait-for-master
  image: {{.InitContainerImage}}
  command: ["sh", "-c", "until nslookup {{ .MasterAddr }}; do sleep 1; done"]
  env:
  - {name: TRIES, value: "{{.MaxTries}}"}
- name: second
  image: {{.InitContainerImage}}
"""


def test_a_template_file_replaces_the_built_in_container_and_keeps_the_users_init_containers():
    template = {
        "spec": {
            "initContainers": [{"name": "user-init", "image": "u:1"}],
            "containers": [{"name": "pytorch", "image": "pt:1"}],
        }
    }
    body = pytorchjob(
        {"Master": {"replicas": 1, "template": PT}, "Worker": {"replicas": 1, "template": template}}
    )
    options = InitContainerOptions(
        image="img:2",
        max_tries=3,
        template_text=TEMPLATE_FILE,
    )
    assert init_of(body, "Worker", 0, options) == [
        {"name": "user-init", "image": "u:1"},
        {
            "name": "wait-for-master",
            "image": "img:2",
            "command": ["sh", "-c", "until nslookup job-master-0; do sleep 1; done"],
            "env": [{"name": "TRIES", "value": "3"}],
        },
        {"name": "second", "image": "img:2"},
    ]


def test_substituted_values_are_html_escaped_like_go_html_template():
    options = InitContainerOptions(
        image="a&b'c",
        template_text='- {name: w, image: "{{.InitContainerImage}}"}\n',
    )
    (init,) = init_of(MASTER_AND_WORKER, "Worker", 0, options)
    assert init["image"] == "a&amp;b&#39;c"


def test_an_empty_template_file_adds_no_init_container():
    options = InitContainerOptions(template_text="")
    assert init_of(MASTER_AND_WORKER, "Worker", 0, options) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("- name: w\n  image: [unclosed\n", "not valid YAML", id="invalid-yaml"),
        pytest.param("name: w\nimage: x\n", "YAML list of containers", id="a-mapping-not-a-list"),
        pytest.param("- just-a-string\n", "YAML list of containers", id="list-of-strings"),
        pytest.param("- {name: w, image: '{{.Image}}'}\n", "can't evaluate field Image", id="unknown-field"),
        pytest.param(
            "- {name: w, image: '{{if .MaxTries}}x{{end}}'}\n", "unsupported action", id="go-action"
        ),
    ],
)
def test_a_broken_template_file_fails_the_pod(text, message):
    options = InitContainerOptions(template_text=text)
    with pytest.raises(ReconcileError, match=message):
        init_of(MASTER_AND_WORKER, "Worker", 0, options)


def test_a_parsed_template_has_its_placeholders_substituted():
    options = InitContainerOptions(
        max_tries=5,
        template={
            "name": "wait",
            "image": "{{.InitContainerImage}}",
            "args": ["{{.MasterAddr}}", "{{.MaxTries}}"],
        },
    )
    assert init_of(MASTER_AND_WORKER, "Worker", 0, options) == [
        {"name": "wait", "image": "alpine:3.10", "args": ["job-master-0", "5"]}
    ]
