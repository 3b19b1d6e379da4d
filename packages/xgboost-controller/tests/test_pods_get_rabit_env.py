"""Every XGBoostJob pod's env (frameworks.md §4.5, acceptance XG-1 to XG-4).

Covers: MASTER_PORT / MASTER_ADDR / WORLD_SIZE / RANK / PYTHONUNBUFFERED in order, then LightGBM's
WORKER_PORT / WORKER_ADDRS only when the world has more than one member; ranks offset past the Master;
Master and Worker ports read from their own specs; default port 9999 added to the `xgboost` container only;
sidecars get the env too; a missing port is a reconcile error.
"""

from typing import Any

import pytest

from training_operator.core.errors import ReconcileError


def xg(port: int | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "xgboost", "image": "xgb:1"}
    if port is not None:
        container["ports"] = [{"name": "xgboostjob-port", "containerPort": port}]
    return {"spec": {"containers": [container]}}


def xgboostjob(name: str, specs: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "XGBoostJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"xgbReplicaSpecs": specs},
    }


IRIS = "xgboost-dist-iris-test-train"
XG1 = xgboostjob(
    IRIS,
    {
        "Master": {"replicas": 1, "restartPolicy": "Never", "template": xg(9991)},
        "Worker": {"replicas": 2, "restartPolicy": "ExitCode", "template": xg(9991)},
    },
)
XG2 = xgboostjob("xgb-single", {"Master": {"replicas": 1, "template": xg()}})
XG3 = xgboostjob(
    "x", {"Master": {"replicas": 1, "template": xg()}, "Worker": {"replicas": 3, "template": xg(9991)}}
)
IRIS_WORKERS = f"{IRIS}-worker-0,{IRIS}-worker-1"


def rabit(
    port: str, addr: str, world: str, rank: str, workers: tuple[str, str] | None
) -> list[tuple[str, str]]:
    entries = [
        ("MASTER_PORT", port),
        ("MASTER_ADDR", addr),
        ("WORLD_SIZE", world),
        ("RANK", rank),
        ("PYTHONUNBUFFERED", "1"),
    ]
    if workers is not None:
        entries += [("WORKER_PORT", workers[0]), ("WORKER_ADDRS", workers[1])]
    return entries


EXPECTED_ENV = [
    pytest.param(
        XG1,
        "Master",
        0,
        rabit("9991", f"{IRIS}-master-0", "3", "0", ("9991", IRIS_WORKERS)),
        id="XG-1-master",
    ),
    pytest.param(
        XG1,
        "Worker",
        0,
        rabit("9991", f"{IRIS}-master-0", "3", "1", ("9991", IRIS_WORKERS)),
        id="XG-1-worker-0",
    ),
    pytest.param(
        XG1,
        "Worker",
        1,
        rabit("9991", f"{IRIS}-master-0", "3", "2", ("9991", IRIS_WORKERS)),
        id="XG-1-worker-1",
    ),
    pytest.param(
        XG2, "Master", 0, rabit("9999", "xgb-single-master-0", "1", "0", None), id="XG-2-master-only"
    ),
    pytest.param(
        XG3,
        "Worker",
        2,
        rabit("9999", "x-master-0", "4", "3", ("9991", "x-worker-0,x-worker-1,x-worker-2")),
        id="XG-3-different-ports",
    ),
    pytest.param(
        XG3,
        "Master",
        0,
        rabit("9999", "x-master-0", "4", "0", ("9991", "x-worker-0,x-worker-1,x-worker-2")),
        id="XG-3-master",
    ),
]


@pytest.mark.parametrize(("body", "replica_type", "index", "expected"), EXPECTED_ENV)
def test_each_pod_gets_exact_env(pod_of, body, replica_type, index, expected):
    pod = pod_of(body, replica_type, index)
    assert [(e["name"], e["value"]) for e in pod["spec"]["containers"][0]["env"]] == expected


def test_default_port_added_when_absent(defaulted):
    (container,) = defaulted(XG2).replica_specs()["Master"].template["spec"]["containers"]
    assert container["ports"] == [{"name": "xgboostjob-port", "containerPort": 9999}]


def test_sidecar_gets_the_env_but_not_the_port(defaulted, pod_of):
    body = xgboostjob("xgb-single", {"Master": {"replicas": 1, "template": xg()}})
    body["spec"]["xgbReplicaSpecs"]["Master"]["template"]["spec"]["containers"].append(
        {"name": "logger", "image": "busybox"}
    )
    xgboost, logger = pod_of(body, "Master", 0)["spec"]["containers"]
    expected = rabit("9999", "xgb-single-master-0", "1", "0", None)
    assert [(e["name"], e["value"]) for e in xgboost["env"]] == expected
    assert [(e["name"], e["value"]) for e in logger["env"]] == expected
    assert "ports" not in logger


def test_user_env_stays_in_front(pod_of):
    body = xgboostjob("u", {"Master": {"replicas": 1, "template": xg()}})
    container = body["spec"]["xgbReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
    container["env"] = [{"name": "RANK", "value": "7"}]
    env = pod_of(body, "Master", 0)["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == [
        "RANK",
        "MASTER_PORT",
        "MASTER_ADDR",
        "WORLD_SIZE",
        "RANK",
        "PYTHONUNBUFFERED",
    ]
    assert (env[0]["value"], env[4]["value"]) == ("7", "0")


def test_missing_worker_port_is_a_reconcile_error(pod_of):
    # only reachable when validation is bypassed: no `xgboost` container receives the default port
    other = {"spec": {"containers": [{"name": "main", "image": "x"}]}}
    body = xgboostjob("np", {"Master": {"replicas": 1, "template": xg()}, "Worker": {"template": other}})
    with pytest.raises(ReconcileError, match="failed to found the port"):
        pod_of(body, "Master", 0)
