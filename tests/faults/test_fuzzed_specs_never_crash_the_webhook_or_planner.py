"""Case 9 of issue 11: job specs fuzzed (hypothesis) through the admission webhook and the engine.

A valid job of each kind (TFJob, PyTorchJob, MXJob, XGBoostJob, MPIJob, JAXJob) has one field, picked among
the run policy, the replica specs, the pod template and the name, replaced by an arbitrary JSON value (or
an unknown key added). Then:

* `webhooks.rejection` (what the validating webhook answers) never raises;
* every rejection names field paths: each problem carries a wire path under `spec` or `metadata`, the message
  contains each path, and one of them is the changed field, an ancestor or a descendant of it;
* an admitted job goes through `framework.plan` against an empty and a full-sized snapshot without raising;
* 2**31 replicas is a field error at every door (webhook, plan(), render, the SDK), within 1 GiB.
"""

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training_operator.core import discovery
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.errors import InvalidJob
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import with_inputs
from training_operator.unified import cli, webhooks
from training_operator.unified.sdk import InvalidSpec, TrainingClient

pytestmark = pytest.mark.faults
FRAMEWORKS = discovery.discover(
    ["tfjob", "pytorchjob", "mxjob", "xgboostjob", "mpijob", "paddlejob", "jaxjob"]
)
KINDS = ["TFJob", "PyTorchJob", "MXJob", "XGBoostJob", "MPIJob", "PaddleJob", "JAXJob"]
NOW = datetime(2025, 1, 1, tzinfo=UTC)
CONTAINER = {"name": "tensorflow", "image": "local", "command": ["true"]}


def _body(kind: str) -> tuple[dict[str, Any], str]:
    specs_key, container, types = {
        "TFJob": ("tfReplicaSpecs", "tensorflow", ("Worker",)),
        "PyTorchJob": ("pytorchReplicaSpecs", "pytorch", ("Master", "Worker")),
        "MXJob": ("mxReplicaSpecs", "mxnet", ("Scheduler", "Server", "Worker")),
        "XGBoostJob": ("xgbReplicaSpecs", "xgboost", ("Master", "Worker")),
        "MPIJob": ("mpiReplicaSpecs", "mpi", ("Launcher", "Worker")),
        "PaddleJob": ("paddleReplicaSpecs", "paddle", ("Master", "Worker")),
        "JAXJob": ("jaxReplicaSpecs", "jax", ("Worker",)),
    }[kind]
    specs = {
        t: {
            "replicas": 1,
            "restartPolicy": "OnFailure",
            "template": {"spec": {"containers": [{**CONTAINER, "name": container}]}},
        }
        for t in types
    }
    meta = {"name": "fuzz", "namespace": "default", "uid": "u-1", "resourceVersion": "1", "generation": 1}
    version = "kubeflow.org/v2beta1" if kind == "MPIJob" else "kubeflow.org/v1"
    spec: dict[str, Any] = {specs_key: specs}
    if kind == "MXJob":
        spec["jobMode"] = "MXTrain"
    body = {"apiVersion": version, "kind": kind, "metadata": meta, "spec": spec}
    return body, specs_key


def _paths(specs_key: str) -> list[tuple[str | int, ...]]:
    worker = ("spec", specs_key, "Worker")
    container = (*worker, "template", "spec", "containers", 0)
    run = ("spec", "runPolicy")
    return [
        ("metadata", "name"),
        ("spec", "runPolicy"),
        (*run, "backoffLimit"),
        (*run, "activeDeadlineSeconds"),
        (*run, "ttlSecondsAfterFinished"),
        (*run, "cleanPodPolicy"),
        (*run, "suspend"),
        (*run, "schedulingPolicy", "minAvailable"),
        ("spec", specs_key),
        worker,
        (*worker, "replicas"),
        (*worker, "restartPolicy"),
        (*worker, "template"),
        (*worker, "template", "spec", "containers"),
        (*container, "name"),
        (*container, "image"),
        (*container, "ports"),
        ("spec", specs_key, "Bogus"),
        ("spec", "bogusField"),
    ]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.sampled_from([0, -1, 1, 2**31, "", "Never", "OnFailure", "Running", "x" * 70, "Worker", "a.b"])
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _set(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    cursor: Any = body
    for step in path[:-1]:
        cursor = cursor[step] if isinstance(step, int) else cursor.setdefault(step, {})
    cursor[path[-1]] = value


def _wire(path: tuple[str | int, ...]) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def _related(found: str, changed: str) -> bool:
    plain = found.replace("[", ".").replace("]", "")
    target = changed.replace("[", ".").replace("]", "")
    return plain.startswith(target) or target.startswith(plain)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), data=st.data(), value=JSON)
def test_any_single_field_change_is_admitted_and_planned_or_rejected_by_path(kind, data, value):
    body, specs_key = _body(kind)
    path = data.draw(st.sampled_from(_paths(specs_key)), label="path")
    body = copy.deepcopy(body)
    _set(body, path, value)
    framework = FRAMEWORKS[kind.lower()]

    message = webhooks.rejection(framework, body)

    try:
        job = framework.parse(body)
        problems = list(framework.problems(job, old=None))
    except InvalidJob as error:
        problems = list(error.problems)
    assert (message is None) == (not problems)
    if message is not None:
        for problem in problems:
            assert problem.path.split(".")[0].split("[")[0] in ("spec", "metadata"), problem
            assert problem.path in message
        assert any(_related(p.path, _wire(path)) for p in problems), (_wire(path), message)
        return
    defaulted = framework.default(job)
    observed = with_inputs(framework, defaulted, Snapshot())
    planner.plan(defaulted, framework, observed, now=NOW, options=EngineOptions())


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        pytest.param(("containers",), True, "containers", id="containers-not-a-list"),
        pytest.param(("containers",), ["x"], "containers[0]", id="container-not-an-object"),
        pytest.param(("containers", 0, "ports"), True, "containers[0].ports", id="ports-not-a-list"),
        pytest.param(("containers", 0, "ports"), ["p"], "containers[0].ports", id="port-not-an-object"),
        pytest.param(("containers",), [None], "containers[0]", id="container-null"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_malformed_containers_are_rejected_by_path_not_crashed_on(kind, path, value, named):
    # found by the fuzzing above: these raised TypeError/AttributeError inside the webhook and defaulting
    # (TFJob, PyTorchJob), or were admitted and crashed the planner (MXJob, MPIJob)
    body, specs_key = _body(kind)
    _set(body, ("spec", specs_key, "Worker", "template", "spec", *path), value)
    message = webhooks.rejection(FRAMEWORKS[kind.lower()], body)
    assert message is not None
    assert f"spec.{specs_key}[Worker].template.spec.{named}: Invalid value" in message


HUGE = 2**31


@pytest.mark.parametrize("kind", KINDS)
def test_two_to_the_31_replicas_is_a_field_error_at_every_door(kind, tmp_path, capsys):
    # the count that was admitted everywhere and OOM-killed a fuzz run; now every door names the field,
    # and the test process stays within the 1 GiB headroom `leaves_nothing_behind` grants
    body, specs_key = _body(kind)
    body["spec"][specs_key]["Worker"]["replicas"] = HUGE
    framework = FRAMEWORKS[kind.lower()]
    field = f"spec.{specs_key}[Worker].replicas: Invalid value: {HUGE}: must be less than or equal to 2048"

    message = webhooks.rejection(framework, body)
    assert message is not None
    assert field in message

    valid, _ = _body(kind)
    job = framework.parse(valid)  # past the bound only by skipping validation, as a stored job could be
    worker = job.replica_specs()["Worker"]
    specs = {**job.replica_specs(), "Worker": worker.model_copy(update={"replicas": HUGE})}
    huge = job.with_spec(job.spec.model_copy(update={type(job.spec).replica_map_field: specs}))
    plan = planner.plan(huge, framework, Snapshot(), now=NOW, options=EngineOptions())
    assert plan.creates == ()
    assert any(field.split(": Invalid")[0] in event.message for event in plan.events), plan.events

    path = tmp_path / "job.yaml"
    path.write_text(yaml.safe_dump(body))
    assert cli.main(["render", str(path)]) == 1
    assert field in capsys.readouterr().err

    kubeconfig = tmp_path / "kubeconfig"  # a server that is never reached: the SDK refuses before sending
    kubeconfig.write_text(yaml.safe_dump(_kubeconfig("https://127.0.0.1:9")))
    with pytest.raises(InvalidSpec) as refused:
        TrainingClient(config_file=str(kubeconfig)).create_job(body)
    assert field in str(refused.value)
    assert refused.value.status is None


def _kubeconfig(server):
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u", "namespace": "default"}}],
        "current-context": "x",
    }


def test_a_runaway_allocation_fails_the_test_not_the_whole_run():
    # the guard every fault and fuzz test runs under: past 1 GiB more, memory is refused to this test only
    with pytest.raises(MemoryError):
        bytearray(2 << 30)
