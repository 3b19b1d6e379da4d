"""TF_CONFIG's rules that hold before defaulting too (frameworks.md §1.5): an unset `replicas` counts 1 (for
"distributed" and for the addresses), a type without a declared port gets the default 2222, and only the
`tensorflow` container gets the variable, whatever the other containers are called."""

from typing import Any

from training_operator.core.testing.builders import a_job
from training_operator.tf.plugin import FRAMEWORK
from training_operator.tf.tf_config import cluster_spec, is_distributed, with_tf_config

KIND = FRAMEWORK.kind
BARE = {"spec": {"containers": [{"name": "tensorflow", "image": "tf:1"}]}}


def raw(replicas: dict[str, int | None]) -> Any:
    return FRAMEWORK.parse(
        a_job(kind=KIND, name="t", namespace="ns", replicas=replicas, templates=dict.fromkeys(replicas, BARE))
    )


def test_unset_replicas_count_one_for_distributed() -> None:
    assert is_distributed(raw({"Worker": None})) is False
    assert is_distributed(raw({"Worker": None, "PS": None})) is True
    assert is_distributed(raw({"Worker": 1})) is False
    assert is_distributed(raw({"Worker": 0, "PS": None})) is False


def test_a_type_without_replicas_or_port_is_one_address_on_the_default_port() -> None:
    assert cluster_spec(raw({"Worker": None}), KIND, "") == {"worker": ("t-worker-0.ns.svc:2222",)}


def test_only_the_tensorflow_container_gets_it_even_after_a_later_sorting_name() -> None:
    pod = {"spec": {"containers": [{"name": "zz-sidecar"}, {"name": "tensorflow"}, {"name": "tensorflow"}]}}
    containers = with_tf_config(pod, "{}", "tensorflow")["spec"]["containers"]
    assert [c.get("env") for c in containers] == [None, [{"name": "TF_CONFIG", "value": "{}"}], None]


def test_every_pods_tf_config_is_the_go_encoding_of_its_own_document() -> None:
    # the cluster's JSON is made once per job and spliced into each pod's value: byte for byte the same
    from training_operator.core.engine import gojson
    from training_operator.core.framework import ReplicaRef
    from training_operator.tf.tf_config import dense_config, tf_config

    job = raw({"Chief": 1, "Worker": 3, "PS": 2, "Evaluator": 1})
    cluster = cluster_spec(job, KIND, "cluster.local")
    for replica_type, count in (("Chief", 1), ("Worker", 3), ("PS", 2), ("Evaluator", 1)):
        for index in range(count):
            replica = ReplicaRef(replica_type, index)
            expected = gojson.dumps(dense_config({k: list(v) for k, v in cluster.items()}, replica))
            assert tf_config(job, replica, KIND, "cluster.local") == expected
