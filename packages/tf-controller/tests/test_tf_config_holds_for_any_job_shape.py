"""TF_CONFIG invariants over generated TFJob shapes (frameworks.md §1.5), checked with hypothesis.

Covers, for any mix of Chief/Master/PS/Worker/Evaluator counts, job name, namespace and dynamic-worker flag:
a pod gets TF_CONFIG exactly when the known types' replicas do not add up to 1; the value is compact JSON;
the dense form lists every replica type in sorted order with one address per index and names the pod's own
task; the sparse form shows a worker or PS its own address, and gives every other type an empty cluster.
"""

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from training_operator.core.framework import EngineOptions
from training_operator.core.testing import replica_pods
from training_operator.core.testing.builders import a_job
from training_operator.tf.plugin import FRAMEWORK

KIND = FRAMEWORK.kind
TYPES = ("Chief", "Evaluator", "PS", "Worker")

shapes = st.dictionaries(st.sampled_from(TYPES), st.integers(min_value=0, max_value=3), min_size=1)
names = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


def tf_configs(body: dict[str, Any], domain: str) -> dict[tuple[str, int], str | None]:
    """(replica type, index) → the TF_CONFIG value the plug-in appends to that pod, or None."""
    job = FRAMEWORK.default(FRAMEWORK.parse(body))
    found: dict[tuple[str, int], str | None] = {}
    for replica_type, index, pod in replica_pods(
        FRAMEWORK, job, options=EngineOptions(cluster_domain=domain)
    ):
        env = pod["spec"]["containers"][0].get("env") or []
        assert len(env) <= 1
        found[(replica_type, index)] = env[0]["value"] if env else None
    return found


def own_address(name: str, namespace: str, replica_type: str, index: int, domain: str) -> str:
    suffix = f".{domain}" if domain else ""
    return f"{name}-{replica_type.lower()}-{index}.{namespace}.svc{suffix}:2222"


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    name=names,
    namespace=names,
    dynamic=st.booleans(),
    domain=st.sampled_from(["", "cluster.local"]),
)
def test_tf_config_matches_the_job_shape(shape, name, namespace, dynamic, domain):
    spec = {"enableDynamicWorker": True} if dynamic else {}
    body = a_job(kind=KIND, name=name, namespace=namespace, replicas=shape, spec=spec)
    distributed = sum(shape.values()) != 1
    for (replica_type, index), value in tf_configs(body, domain).items():
        assert (value is not None) is distributed
        if value is None:
            continue
        config = json.loads(value)
        assert json.dumps(config, separators=(",", ":")) == value
        assert config["task"] == {"type": replica_type.lower(), "index": index}
        me = own_address(name, namespace, replica_type, index, domain)
        cluster = config["cluster"]
        if not dynamic:
            assert list(cluster) == sorted(t.lower() for t in shape)
            assert {t: len(v) for t, v in cluster.items()} == {t.lower(): n for t, n in shape.items()}
            assert cluster[replica_type.lower()][index] == me
            assert config["environment"] == "cloud"
        elif replica_type == "Worker":
            assert cluster["worker"] == {str(index): me}
        elif replica_type == "PS":
            assert cluster == {"worker": {}, "ps": [me]}
        else:
            assert cluster == {"worker": {}, "ps": []}
