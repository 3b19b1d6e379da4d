"""The TF_CONFIG every TFJob pod gets (frameworks.md §1.5, acceptance TF-1 to TF-6).

Covers: exact dense JSON per replica (cluster keys sorted, task, `"environment":"cloud"`), each type's own
port, the cluster-domain suffix from the operator options, evaluators inside the cluster; exact sparse JSON
for dynamic workers (a worker sees itself and every PS, a PS itself, a chief nothing, `"ps":null` without a PS
spec); no TF_CONFIG for non-distributed jobs; only the first `tensorflow` container receives it, after the
user's own entries; default port added to the `tensorflow` container only; Go's HTML-safe escaping.
"""

from typing import Any

import pytest

from training_operator.core.engine import gojson
from training_operator.core.testing.builders import a_job
from training_operator.tf import tf_config
from training_operator.tf.plugin import FRAMEWORK

KIND = FRAMEWORK.kind


def tf(port: int | None = None, **container: Any) -> dict[str, Any]:
    """`<tf>` of the acceptance cases, optionally with its own `tfjob-port` or other container fields."""
    entry: dict[str, Any] = {"name": "tensorflow", "image": "tf:1", **container}
    if port is not None:
        entry["ports"] = [{"name": "tfjob-port", "containerPort": port}]
    return {"spec": {"containers": [entry]}}


def tfjob(
    name: str, replicas: dict[str, int | None], namespace: str = "default", **spec: Any
) -> dict[str, Any]:
    return a_job(kind=KIND, name=name, namespace=namespace, replicas=replicas, spec=spec)


TF1 = tfjob("local", {"Worker": None})
TF2 = tfjob("dist", {"PS": 1, "Worker": 2}, namespace="ns1")
TF3 = a_job(
    kind=KIND,
    name="mnist",
    namespace="kf",
    replicas={"Chief": 1, "PS": 1, "Evaluator": 1, "Worker": 2},
    templates={"Chief": tf(), "PS": tf(), "Evaluator": tf(), "Worker": tf(3333)},
)
TF4 = tfjob("dyn", {"PS": 2, "Worker": 3}, enableDynamicWorker=True)
TF5 = tfjob("dyn2", {"Chief": None, "Worker": 2}, enableDynamicWorker=True)
TF6_TEMPLATE = {
    "spec": {
        "containers": [
            {"name": "sidecar", "image": "busybox"},
            {"name": "tensorflow", "image": "tf:1", "env": [{"name": "TF_CONFIG", "value": "user"}]},
        ]
    }
}
TF6 = a_job(kind=KIND, name="side", replicas={"worker": 2}, templates={"worker": TF6_TEMPLATE})

DIST_CLUSTER = (
    '{"ps":["dist-ps-0.ns1.svc:2222"],"worker":["dist-worker-0.ns1.svc:2222","dist-worker-1.ns1.svc:2222"]}'
)
MNIST_CLUSTER = (
    '{"chief":["mnist-chief-0.kf.svc.cluster.local:2222"],'
    '"evaluator":["mnist-evaluator-0.kf.svc.cluster.local:2222"],'
    '"ps":["mnist-ps-0.kf.svc.cluster.local:2222"],'
    '"worker":["mnist-worker-0.kf.svc.cluster.local:3333","mnist-worker-1.kf.svc.cluster.local:3333"]}'
)

EXPECTED_TF_CONFIG = [
    pytest.param(
        TF2,
        "Worker",
        1,
        "",
        f'{{"cluster":{DIST_CLUSTER},"task":{{"type":"worker","index":1}},"environment":"cloud"}}',
        id="TF-2-worker-1",
    ),
    pytest.param(
        TF2,
        "PS",
        0,
        "",
        f'{{"cluster":{DIST_CLUSTER},"task":{{"type":"ps","index":0}},"environment":"cloud"}}',
        id="TF-2-ps-0",
    ),
    pytest.param(
        TF3,
        "Evaluator",
        0,
        "cluster.local",
        f'{{"cluster":{MNIST_CLUSTER},"task":{{"type":"evaluator","index":0}},"environment":"cloud"}}',
        id="TF-3-evaluator-custom-domain-and-port",
    ),
    pytest.param(
        TF3,
        "Chief",
        0,
        "cluster.local",
        f'{{"cluster":{MNIST_CLUSTER},"task":{{"type":"chief","index":0}},"environment":"cloud"}}',
        id="TF-3-chief",
    ),
    pytest.param(
        TF4,
        "Worker",
        2,
        "",
        '{"cluster":{"worker":{"2":"dyn-worker-2.default.svc:2222"},'
        '"ps":["dyn-ps-0.default.svc:2222","dyn-ps-1.default.svc:2222"]},"task":{"type":"worker","index":2}}',
        id="TF-4-sparse-worker",
    ),
    pytest.param(
        TF4,
        "PS",
        1,
        "",
        '{"cluster":{"worker":{},"ps":["dyn-ps-1.default.svc:2222"]},"task":{"type":"ps","index":1}}',
        id="TF-4-sparse-ps",
    ),
    pytest.param(
        TF5,
        "Chief",
        0,
        "",
        '{"cluster":{"worker":{},"ps":[]},"task":{"type":"chief","index":0}}',
        id="TF-5-sparse-chief-sees-nothing",
    ),
    pytest.param(
        TF5,
        "Worker",
        0,
        "",
        '{"cluster":{"worker":{"0":"dyn2-worker-0.default.svc:2222"},"ps":null},"task":{"type":"worker","index":0}}',
        id="TF-5-sparse-worker-ps-null",
    ),
    pytest.param(
        tfjob("dyn3", {"PS": 0, "Worker": 2}, enableDynamicWorker=True),
        "Worker",
        0,
        "",
        '{"cluster":{"worker":{"0":"dyn3-worker-0.default.svc:2222"},"ps":[]},"task":{"type":"worker","index":0}}',
        id="sparse-worker-zero-ps-is-empty-list",
    ),
    pytest.param(
        tfjob("foo", {"Foo": 1, "Worker": 2}),
        "Foo",
        0,
        "",
        '{"cluster":{"foo":["foo-foo-0.default.svc:2222"],'
        '"worker":["foo-worker-0.default.svc:2222","foo-worker-1.default.svc:2222"]},'
        '"task":{"type":"foo","index":0},"environment":"cloud"}',
        id="unknown-type-is-in-the-cluster",
    ),
]


def env_of(pod: dict[str, Any], container: int = 0) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in pod["spec"]["containers"][container].get("env") or []]


@pytest.mark.parametrize(("body", "replica_type", "index", "domain", "expected"), EXPECTED_TF_CONFIG)
def test_each_pod_gets_exact_tf_config(pod_of, body, replica_type, index, domain, expected):
    pod = pod_of(body, replica_type, index, cluster_domain=domain)
    assert env_of(pod) == [("TF_CONFIG", expected)]


@pytest.mark.parametrize(
    ("replicas", "distributed"),
    [
        pytest.param({"Worker": None}, False, id="TF-1-one-worker"),
        pytest.param({"Worker": 1, "PS": 1}, True, id="worker-and-ps"),
        pytest.param({"Worker": 0, "PS": 1}, False, id="zero-workers-one-ps"),
        pytest.param({"Chief": 1, "Worker": 1}, True, id="chief-and-worker"),
        pytest.param({"Worker": 0}, True, id="zero-workers-sum-0"),
        pytest.param({"Worker": 1, "Foo": 3}, False, id="unknown-types-not-counted"),
        pytest.param({"Evaluator": None}, False, id="one-evaluator"),
    ],
)
def test_only_distributed_jobs_get_tf_config(defaulted, replicas, distributed):
    assert tf_config.is_distributed(defaulted(tfjob("d", replicas))) is distributed


def test_tf1_local_job_has_no_tf_config_and_gets_the_default_port(pod_of):
    (container,) = pod_of(TF1, "Worker", 0)["spec"]["containers"]
    assert "env" not in container
    assert container["ports"] == [{"name": "tfjob-port", "containerPort": 2222}]


def test_tf3_worker_keeps_its_own_port(defaulted):
    worker = defaulted(TF3).replica_specs()["Worker"]
    assert worker.template["spec"]["containers"][0]["ports"] == [
        {"name": "tfjob-port", "containerPort": 3333}
    ]


@pytest.mark.parametrize("index", [0, 1])
def test_tf6_only_the_tensorflow_container_gets_port_and_tf_config(defaulted, pod_of, index):
    sidecar, tensorflow = defaulted(TF6).replica_specs()["Worker"].template["spec"]["containers"]
    assert "ports" not in sidecar
    assert tensorflow["ports"] == [{"name": "tfjob-port", "containerPort": 2222}]
    pod = pod_of(TF6, "Worker", index)
    cluster = '{"worker":["side-worker-0.default.svc:2222","side-worker-1.default.svc:2222"]}'
    expected = f'{{"cluster":{cluster},"task":{{"type":"worker","index":{index}}},"environment":"cloud"}}'
    assert "env" not in pod["spec"]["containers"][0]
    assert env_of(pod, 1) == [("TF_CONFIG", "user"), ("TF_CONFIG", expected)]


def test_custom_port_kept_and_default_port_appended(defaulted):
    body = a_job(
        kind=KIND,
        name="p",
        replicas={"Worker": 1},
        templates={"Worker": tf(ports=[{"name": "customPort", "containerPort": 1234}])},
    )
    (container,) = defaulted(body).replica_specs()["Worker"].template["spec"]["containers"]
    assert container["ports"] == [
        {"name": "customPort", "containerPort": 1234},
        {"name": "tfjob-port", "containerPort": 2222},
    ]


def test_only_the_first_tensorflow_container_gets_tf_config(pod_of):
    template = {
        "spec": {"containers": [{"name": "tensorflow", "image": "a"}, {"name": "tensorflow", "image": "b"}]}
    }
    body = a_job(kind=KIND, name="two", replicas={"Worker": 2}, templates={"Worker": template})
    pod = pod_of(body, "Worker", 0)
    assert [name for name, _ in env_of(pod, 0)] == ["TF_CONFIG"]
    assert env_of(pod, 1) == []


def test_tf_config_uses_go_html_safe_escaping():
    assert gojson.dumps({"a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e"}'
