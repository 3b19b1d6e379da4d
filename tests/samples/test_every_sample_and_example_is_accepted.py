"""Jobs as Kubeflow's own SDK serializes them (kubeflow-training 1.9.4, recorded in data/), and every example
shipped in examples/, are accepted by the installed frameworks exactly as written: they declare no field
their kind does not (strict field validation), parse, serialize back byte-for-byte, pass admission, and the
engine plans their children on a first reconcile."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from training_operator.core import discovery, strict
from training_operator.core.engine import planner
from training_operator.core.engine.observed import Snapshot
from training_operator.core.framework import EngineOptions
from training_operator.core.testing import with_inputs

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {f.kind.kind: f for f in discovery.discover().values()}
SAMPLES = json.loads((Path(__file__).parent / "data" / "kubeflow-sdk-wire-format.json").read_text())


def sample_params():
    for key, sample in sorted(SAMPLES.items()):
        yield pytest.param(sample.get("body", sample), id=key)


def example_params():
    for path in sorted((ROOT / "examples").glob("**/*.yaml")):
        yield pytest.param(yaml.safe_load(path.read_text()), id=str(path.relative_to(ROOT / "examples")))


@pytest.mark.parametrize("body", [*sample_params(), *example_params()])
def test_accepted_unchanged_and_planned(body):
    framework = FRAMEWORKS[body["kind"]]
    strict.check(body, framework)
    job = framework.parse(copy.deepcopy(body))
    assert job.body() == body
    assert [p.render() for p in framework.problems(job)] == []
    job = job.model_copy(update={"metadata": job.metadata.model_copy(update={"uid": "u-1"})})
    observed = with_inputs(framework, job, Snapshot())
    plan = planner.plan(
        job, framework, observed, now=datetime(2024, 5, 1, tzinfo=UTC), options=EngineOptions()
    )
    assert plan.error is None
    assert any(create.kind in ("Pod", "Job") for create in plan.creates)


def test_every_sample_kind_is_served():
    assert {s.get("body", s)["kind"] for s in SAMPLES.values()} <= FRAMEWORKS.keys()
