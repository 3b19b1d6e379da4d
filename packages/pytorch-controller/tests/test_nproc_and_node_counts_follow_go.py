"""`nprocPerNode` read as Go's `strconv.Atoi` reads it (int64 range, else 1), and the node count behind
WORLD_SIZE (frameworks.md §2.5)."""

from typing import Any

import pytest

from training_operator.pytorch.api import spec_of
from training_operator.pytorch.env import procs_per_node, total_replicas
from training_operator.pytorch.plugin import FRAMEWORK

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}
INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (str(INT64_MAX), INT64_MAX),
        (str(INT64_MAX + 1), 1),
        (str(-INT64_MAX - 1), -INT64_MAX - 1),
        (str(-INT64_MAX - 2), 1),
        ("99999999999999999999", 1),
        (None, 1),
        ("8", 8),
    ],
)
def test_nproc_is_an_int64_or_one(text: str | None, value: int) -> None:
    assert procs_per_node(text) == value


def body(specs: dict[str, Any], **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "n", "namespace": "default"},
        "spec": {"pytorchReplicaSpecs": specs, **spec},
    }


def test_unset_replica_counts_count_as_one_node_each() -> None:
    raw = FRAMEWORK.parse(body({"Master": {"template": PT}, "Worker": {"template": PT}}))
    assert total_replicas(spec_of(raw)) == 2
    raw = FRAMEWORK.parse(body({"Master": {"template": PT}, "Worker": {"replicas": 4, "template": PT}}))
    assert total_replicas(spec_of(raw)) == 5
