"""Every MXJob pod's env (frameworks.md §3.5, acceptance MX-1 to MX-4).

Covers: MX_CONFIG (cluster, labels, task; compact, keys sorted) and each DMLC_* value per replica type;
custom and default ports; DMLC_WORKER_ID on Worker pods only; the Scheduler-less defaults (port 0, empty
URI); tuner-server-key published in labels; every container gets the env, appended after the user's own;
a missing port is a reconcile error, not a pod.
"""

from typing import Any

import pytest

from training_operator.core.errors import ReconcileError


def mx(port: int | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "mxnet", "image": "mx:1"}
    if port is not None:
        container["ports"] = [{"name": "mxjob-port", "containerPort": port}]
    template: dict[str, Any] = {"spec": {"containers": [container]}}
    if annotations:
        template["metadata"] = {"annotations": annotations}
    return template


def mxjob(name: str, replicas: dict[str, Any], job_mode: str = "MXTrain") -> dict[str, Any]:
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "MXJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"jobMode": job_mode, "mxReplicaSpecs": replicas},
    }


MX1 = mxjob(
    "mxnet-job",
    {t: {"replicas": 1, "template": mx(9991)} for t in ("Scheduler", "Server", "Worker")},
)
MX1_CLUSTER = (
    '"cluster":{"scheduler":[{"url":"mxnet-job-scheduler-0","port":9991}],'
    '"server":[{"url":"mxnet-job-server-0","port":9991}],'
    '"worker":[{"url":"mxnet-job-worker-0","port":9991}]},'
    '"labels":{"scheduler":"","server":"","worker":""}'
)
MX2 = mxjob(
    "bp",
    {
        "Scheduler": {"replicas": 1, "template": mx()},
        "Server": {"replicas": 2, "template": mx()},
        "Worker": {"replicas": 2, "template": mx()},
    },
)
MX3 = mxjob(
    "auto-tuning-job",
    {
        "TunerTracker": {"replicas": 1, "template": mx()},
        "TunerServer": {"replicas": 1, "template": mx(annotations={"tuner-server-key": "2080ti"})},
        "Tuner": {"replicas": 1, "template": mx()},
    },
    job_mode="MXTune",
)
MX4 = mxjob("one", {"Worker": {"template": mx()}})


def dmlc(
    port: str, uri: str, servers: str, workers: str, role: str, worker_id: str | None
) -> list[tuple[str, str]]:
    entries = [
        ("DMLC_PS_ROOT_PORT", port),
        ("DMLC_PS_ROOT_URI", uri),
        ("DMLC_NUM_SERVER", servers),
        ("DMLC_NUM_WORKER", workers),
        ("DMLC_ROLE", role),
        ("DMLC_USE_KUBERNETES", "1"),
    ]
    return entries if worker_id is None else [*entries, ("DMLC_WORKER_ID", worker_id)]


EXPECTED_ENV = [
    pytest.param(
        MX1,
        "Worker",
        0,
        "{" + MX1_CLUSTER + ',"task":{"type":"worker","index":0}}',
        dmlc("9991", "mxnet-job-scheduler-0", "1", "1", "worker", "0"),
        id="MX-1-worker",
    ),
    pytest.param(
        MX1,
        "Scheduler",
        0,
        "{" + MX1_CLUSTER + ',"task":{"type":"scheduler","index":0}}',
        dmlc("9991", "mxnet-job-scheduler-0", "1", "1", "scheduler", None),
        id="MX-1-scheduler",
    ),
    pytest.param(
        MX2,
        "Worker",
        1,
        '{"cluster":{"scheduler":[{"url":"bp-scheduler-0","port":9091}],'
        '"server":[{"url":"bp-server-0","port":9091},{"url":"bp-server-1","port":9091}],'
        '"worker":[{"url":"bp-worker-0","port":9091},{"url":"bp-worker-1","port":9091}]},'
        '"labels":{"scheduler":"","server":"","worker":""},"task":{"type":"worker","index":1}}',
        dmlc("9091", "bp-scheduler-0", "2", "2", "worker", "1"),
        id="MX-2-worker-1",
    ),
    pytest.param(
        MX2,
        "Server",
        1,
        '{"cluster":{"scheduler":[{"url":"bp-scheduler-0","port":9091}],'
        '"server":[{"url":"bp-server-0","port":9091},{"url":"bp-server-1","port":9091}],'
        '"worker":[{"url":"bp-worker-0","port":9091},{"url":"bp-worker-1","port":9091}]},'
        '"labels":{"scheduler":"","server":"","worker":""},"task":{"type":"server","index":1}}',
        dmlc("9091", "bp-scheduler-0", "2", "2", "server", None),
        id="MX-2-server-1",
    ),
    pytest.param(
        MX3,
        "TunerServer",
        0,
        '{"cluster":{"tuner":[{"url":"auto-tuning-job-tuner-0","port":9091}],'
        '"tunerserver":[{"url":"auto-tuning-job-tunerserver-0","port":9091}],'
        '"tunertracker":[{"url":"auto-tuning-job-tunertracker-0","port":9091}]},'
        '"labels":{"tuner":"","tunerserver":"2080ti","tunertracker":""},'
        '"task":{"type":"tunerserver","index":0}}',
        dmlc("0", "", "0", "0", "tunerserver", None),
        id="MX-3-tunerserver",
    ),
    pytest.param(
        MX4,
        "Worker",
        0,
        '{"cluster":{"worker":[{"url":"one-worker-0","port":9091}]},"labels":{"worker":""},'
        '"task":{"type":"worker","index":0}}',
        dmlc("0", "", "0", "1", "worker", "0"),
        id="MX-4-single-worker",
    ),
]


@pytest.mark.parametrize(("body", "replica_type", "index", "mx_config", "dmlc_env"), EXPECTED_ENV)
def test_each_pod_gets_exact_env(pod_of, body, replica_type, index, mx_config, dmlc_env):
    pod = pod_of(body, replica_type, index)
    env = [(e["name"], e["value"]) for e in pod["spec"]["containers"][0]["env"]]
    assert env == [("MX_CONFIG", mx_config), *dmlc_env]


def test_lower_case_scheduler_key_is_the_scheduler(pod_of):
    body = mxjob("lc", {"scheduler": {"template": mx()}, "Worker": {"replicas": 2, "template": mx()}})
    env = {e["name"]: e["value"] for e in pod_of(body, "Worker", 1)["spec"]["containers"][0]["env"]}
    assert (env["DMLC_PS_ROOT_URI"], env["DMLC_PS_ROOT_PORT"]) == ("lc-scheduler-0", "9091")


def test_every_container_gets_the_env_after_its_own(pod_of):
    body = mxjob("side", {"Worker": {"template": mx()}})
    template = body["spec"]["mxReplicaSpecs"]["Worker"]["template"]
    template["spec"]["containers"][0]["env"] = [{"name": "DMLC_ROLE", "value": "mine"}]
    template["spec"]["containers"].append({"name": "logger", "image": "busybox"})
    containers = pod_of(body, "Worker", 0)["spec"]["containers"]
    main, logger = ([e["name"] for e in c["env"]] for c in containers)
    operator_names = ["MX_CONFIG", *(name for name, _ in dmlc("0", "", "0", "1", "worker", "0"))]
    assert main == ["DMLC_ROLE", *operator_names]
    assert logger == operator_names
    assert containers[0]["env"][0]["value"] == "mine"


def test_default_port_is_added_to_the_mxnet_container_only(defaulted):
    body = mxjob("bp", {"Worker": {"template": mx()}})
    body["spec"]["mxReplicaSpecs"]["Worker"]["template"]["spec"]["containers"].insert(
        0, {"name": "logger", "image": "busybox"}
    )
    logger, mxnet = defaulted(body).replica_specs()["Worker"].template["spec"]["containers"]
    assert mxnet["ports"] == [{"name": "mxjob-port", "containerPort": 9091}]
    assert "ports" not in logger


def test_missing_port_is_a_reconcile_error(pod_of):
    body = mxjob("np", {"Worker": {"template": {"spec": {"containers": [{"name": "main", "image": "x"}]}}}})
    with pytest.raises(ReconcileError, match="failed to found the port"):
        pod_of(body, "Worker", 0)


def test_with_two_schedulers_the_first_is_the_ps_root(pod_of):
    body = mxjob(
        "two",
        {"Scheduler": {"replicas": 2, "template": mx(9000)}, "Worker": {"replicas": 1, "template": mx(9000)}},
    )
    env = {e["name"]: e["value"] for e in pod_of(body, "Worker", 0)["spec"]["containers"][0]["env"]}
    assert (env["DMLC_PS_ROOT_URI"], env["DMLC_PS_ROOT_PORT"]) == ("two-scheduler-0", "9000")
