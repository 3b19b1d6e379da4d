"""The small shared helpers framework plug-ins build env values with (frameworks.md §0.6, §0.8).

Covers: Go-compatible compact JSON (HTML-safe escapes, raw non-ASCII, order kept); the port lookup (first
named port on a container with the default name; other containers and other names ignored; None when absent);
env appended after the user's entries on every regular container, never on init containers.
"""

from typing import Any

import pytest

from training_operator.core.api.common import ReplicaSpec, RestartPolicy
from training_operator.core.engine import container_env, gojson, ports
from training_operator.core.framework import KindInfo

KIND = KindInfo(
    kind="DemoJob",
    plural="demojobs",
    singular="demojob",
    replica_map_key="demoReplicaSpecs",
    replica_types=("Worker",),
    default_container="main",
    controller_name="demojob-controller",
    framework_label="demo",
    default_restart_policy=RestartPolicy.NEVER,
    default_port_name="demo-port",
    default_port=1234,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(
            {"b": [1, {"x": ""}], "a": None}, '{"b":[1,{"x":""}],"a":null}', id="compact-order-kept"
        ),
        pytest.param({"k": "<a&b>"}, '{"k":"\\u003ca\\u0026b\\u003e"}', id="html-escaped"),
        pytest.param({"k": "é\u2028"}, '{"k":"é\\u2028"}', id="non-ascii-raw-line-separator-escaped"),
    ],
)
def test_go_json(value, expected):
    assert gojson.dumps(value) == expected


def container(name: str, *port_names: str) -> dict[str, Any]:
    return {"name": name, "ports": [{"name": p, "containerPort": 1000 + i} for i, p in enumerate(port_names)]}


@pytest.mark.parametrize(
    ("containers", "expected"),
    [
        pytest.param([container("main", "other", "demo-port")], 1001, id="named-port-on-default-container"),
        pytest.param(
            [container("side", "demo-port"), container("main", "demo-port")], 1000, id="side-ignored"
        ),
        pytest.param([container("side", "demo-port")], None, id="no-default-container"),
        pytest.param([container("main", "other")], None, id="no-port-with-that-name"),
        pytest.param([], None, id="no-containers"),
    ],
)
def test_replica_port(containers, expected):
    spec = ReplicaSpec(template={"spec": {"containers": containers}})
    assert ports.replica_port(spec, KIND) == expected


def test_replica_port_of_a_missing_spec_is_none():
    assert ports.replica_port(None, KIND) is None


def test_env_is_appended_to_every_regular_container():
    pod: dict[str, Any] = {
        "spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "main", "env": [{"name": "A", "value": "mine"}]}, {"name": "side"}],
        }
    }
    container_env.append_to_all_containers(
        pod, [container_env.env_var("A", "ours"), container_env.env_var("B", "1")]
    )
    main, side = pod["spec"]["containers"]
    assert main["env"] == [
        {"name": "A", "value": "mine"},
        {"name": "A", "value": "ours"},
        {"name": "B", "value": "1"},
    ]
    assert side["env"] == [{"name": "A", "value": "ours"}, {"name": "B", "value": "1"}]
    assert "env" not in pod["spec"]["initContainers"][0]
    main["env"][1]["value"] = "changed"
    assert side["env"][0]["value"] == "ours"  # each container gets its own copies
