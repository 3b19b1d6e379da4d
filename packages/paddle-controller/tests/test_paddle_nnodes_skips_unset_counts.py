"""PADDLE_NNODES is the sum of the set `replicas` (frameworks.md §5.5): unset ones are skipped, as upstream
does."""

from training_operator.core.testing.builders import a_job
from training_operator.paddle.env import nodes
from training_operator.paddle.plugin import FRAMEWORK

PD = {"spec": {"containers": [{"name": "paddle", "image": "pd:1"}]}}


def test_unset_replica_counts_are_skipped() -> None:
    raw = a_job(
        kind=FRAMEWORK.kind, replicas={"Master": None, "Worker": 3}, templates={"Master": PD, "Worker": PD}
    )
    assert nodes(FRAMEWORK.parse(raw)) == 3
