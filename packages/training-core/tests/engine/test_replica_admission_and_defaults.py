"""The common admission rules and defaults every v1 kind shares (common.md §2.2, §3), seen on TestJob: the
texts a user gets back from `kubectl apply`, and the template the operator's pods are built from."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from training_operator.core.api.problems import FieldProblem, ProblemKind
from training_operator.core.testing import TestFramework
from training_operator.core.testing.builders import a_job

KEY = "testReplicaSpecs"


def _problems(**fields: Any) -> list[str]:
    framework = fields.pop("framework", TestFramework())
    return [p.render() for p in framework.problems(framework.parse(a_job(**fields)))]


def _template(*containers: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": list(containers)}}


# --- derived pod and service names (ours: upstream admits them, then fails every create) -------------


def test_a_name_whose_last_pod_name_is_63_characters_is_admitted() -> None:
    name = "j" * 54  # j…j-worker-9: 63 characters
    assert _problems(name=name, replicas={"Worker": 10}) == []


def test_one_more_digit_in_the_last_index_rejects_the_name_and_says_how_short_it_must_be() -> None:
    name = "j" * 54
    assert _problems(name=name, replicas={"Worker": 11}) == [
        f"metadata.name: Invalid value: \"{name}\": derived pod and service name '{name}-worker-10' "
        "must be no "
        "more than 63 characters; shorten the job name to at most 53 characters"
    ]


@pytest.mark.parametrize(("replicas", "index"), [(None, 0), (0, 0), (1, 0), (3, 2)])
def test_the_longest_name_is_the_last_index_of_the_type(replicas: int | None, index: int) -> None:
    name = "n" * 60
    (problem,) = _problems(name=name, replicas={"PS": replicas})
    assert f"'{name}-ps-{index}'" in problem


def test_the_longest_type_decides_and_a_hopeless_type_asks_for_one_character() -> None:
    name = "a" * 52  # a…a-evaluator-0: 64 characters
    (problem,) = _problems(name=name, replicas={"PS": 1, "Evaluator": 1})
    assert f"'{name}-evaluator-0' must be" in problem
    assert "at most 51 characters" in problem
    long_type = "X" * 70
    (problem,) = [p for p in _problems(name="a", replicas={long_type: 1}) if p.startswith("metadata.name")]
    assert problem.endswith("shorten the job name to at most 1 characters")


# --- replica types ------------------------------------------------------------------------------------


class _Restricted(TestFramework):
    restrict_replica_types: ClassVar[bool] = True


def test_unknown_replica_types_are_rejected_only_by_kinds_that_restrict_them() -> None:
    replicas = {"Launcher": 1, "Worker": 1}
    assert _problems(replicas=replicas) == []
    assert _problems(replicas=replicas, framework=_Restricted()) == [
        f'spec.{KEY}[Launcher]: Unsupported value: "Launcher": supported values: '
        '"Chief", "Master", "PS", "Worker", "Evaluator"'
    ]


def test_a_type_unknown_to_a_restricting_kind_does_not_hide_the_next_types_problems() -> None:
    templates = {"Worker": _template({"name": "trainer"})}
    problems = _problems(replicas={"Launcher": 1, "Worker": 1}, templates=templates, framework=_Restricted())
    assert (
        problems[-1]
        == f"spec.{KEY}[Worker].template.spec.containers[0].image: Required value: must be required"
    )


@pytest.mark.parametrize("order", [("Worker", "worker"), ("worker", "Worker"), ("WORKER", "worker")])
def test_two_keys_that_differ_only_in_case_are_a_duplicate_whatever_their_order(
    order: tuple[str, str],
) -> None:
    first, second = order
    problems = _problems(replicas={first: 1, second: 1})
    assert problems == [
        f'spec.{KEY}[{second}]: Duplicate value: "{second}": replica type {second!r} differs from {first!r} '
        "only in case; keep one of them"
    ]


def test_a_missing_replica_spec_is_required_and_the_others_still_checked() -> None:
    framework = TestFramework()
    body = a_job(replicas={"Worker": 1, "PS": 1}, templates={"PS": _template({"name": "trainer"})})
    body["spec"][KEY]["Chief"] = None
    body["spec"][KEY] = {"Chief": None, **body["spec"][KEY]}
    problems = [p.render() for p in framework.problems(framework.parse(body))]
    assert problems == [
        f"spec.{KEY}[Chief]: Required value: must be specified",
        f"spec.{KEY}[PS].template.spec.containers[0].image: Required value: must be required",
    ]


# --- containers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("other", ["aaa", "zzz", "trainer2", "Trainer"])
def test_the_default_container_must_be_named_exactly(other: str) -> None:
    templates = {"Worker": _template({"name": other, "image": "img"})}
    assert _problems(templates=templates) == [
        f"spec.{KEY}[Worker].template.spec.containers: Required value: "
        "must have at least one container with name trainer"
    ]


def test_an_empty_container_list_gives_both_required_errors() -> None:
    assert _problems(templates={"Worker": _template()}) == [
        f"spec.{KEY}[Worker].template.spec.containers: Required value: must be specified",
        f"spec.{KEY}[Worker].template.spec.containers: Required value: must have at least one container with "
        "name trainer",
    ]


def test_malformed_containers_and_ports_are_field_errors_not_crashes() -> None:
    not_a_list = {"Worker": {"spec": {"containers": {"name": "trainer"}}}}
    assert _problems(templates=not_a_list) == [
        f"spec.{KEY}[Worker].template.spec.containers: Invalid value: "
        "\"{'name': 'trainer'}\": must be a list"
    ]
    not_objects = {"Worker": _template({"name": "trainer", "image": "i"}, "sidecar")}  # type: ignore[arg-type]
    assert _problems(templates=not_objects) == [
        f"spec.{KEY}[Worker].template.spec.containers[1]: Invalid value: null: must be an object"
    ]
    bad_ports = {
        "Worker": _template(
            {"name": "trainer", "image": "i", "ports": {"containerPort": 1}},
            {"name": "side", "image": "i", "ports": [1]},
            {"name": "ok", "image": "i", "ports": [{"containerPort": 2}]},
        )
    }
    problems = _problems(templates=bad_ports)
    assert [p.split(":")[0] for p in problems] == [
        f"spec.{KEY}[Worker].template.spec.containers[0].ports",
        f"spec.{KEY}[Worker].template.spec.containers[1].ports",
    ]
    assert all("must be a list of objects" in p for p in problems)


# --- defaults: the kind's port on its container -----------------------------------------------------------


def _defaulted_containers(*containers: Any) -> Any:
    framework = TestFramework()
    job = framework.default(framework.parse(a_job(templates={"Worker": _template(*containers)})))
    return job.replica_specs()["Worker"].template["spec"]["containers"]


def test_the_default_port_goes_on_the_default_container_even_when_it_is_not_first() -> None:
    containers = _defaulted_containers({"name": "side", "image": "i"}, {"name": "trainer", "image": "i"})
    assert containers[0] == {"name": "side", "image": "i"}
    assert containers[1]["ports"] == [{"name": "testjob-port", "containerPort": 2222}]


def test_without_the_default_container_the_first_one_gets_the_port() -> None:
    containers = _defaulted_containers({"name": "aaa", "image": "i"}, {"name": "zzz", "image": "i"})
    assert containers[0]["ports"] == [{"name": "testjob-port", "containerPort": 2222}]
    assert "ports" not in containers[1]


def test_a_port_of_that_name_is_kept_and_other_ports_get_it_appended() -> None:
    mine = {"name": "testjob-port", "containerPort": 1234}
    assert _defaulted_containers({"name": "trainer", "image": "i", "ports": [mine]})[0]["ports"] == [mine]
    custom = {"name": "custom", "containerPort": 1}
    zed = {"name": "zzz-port", "containerPort": 3}
    ports = _defaulted_containers({"name": "trainer", "image": "i", "ports": [custom, zed]})[0]["ports"]
    assert ports == [custom, zed, {"name": "testjob-port", "containerPort": 2222}]


def test_defaults_never_change_the_parsed_job() -> None:
    framework = TestFramework()
    job = framework.parse(a_job())
    before = job.model_dump()
    framework.default(job)
    assert job.model_dump() == before


def test_problem_objects_render_as_kubernetes_field_errors() -> None:
    problem = FieldProblem("spec.x", ProblemKind.REQUIRED, "must be specified")
    assert problem.render() == "spec.x: Required value: must be specified"


def test_the_hint_subtracts_the_whole_overshoot() -> None:
    name = "a" * 55  # a…a-worker-10: 65 characters, 2 over
    (problem,) = _problems(name=name, replicas={"Worker": 11})
    assert problem.endswith("shorten the job name to at most 53 characters")
