"""Kubeflow SDK PyTorchJobs (kubeflow-training 1.9.4 wire format, shared/samples) as our model sees them.

Covers: every PyTorchJob sample parses and serializes back byte-for-byte (unknown and defaulted-by-nobody
fields survive), and in-memory defaulting leaves the parsed object untouched.
"""

import copy
import json
from pathlib import Path

import pytest

from training_operator.pytorch.plugin import FRAMEWORK

SAMPLES = Path(__file__).resolve().parents[3] / "tests" / "samples" / "data" / "kubeflow-sdk-wire-format.json"


def pytorch_samples():
    entries = json.loads(SAMPLES.read_text())
    bodies = {key: entry.get("body", entry) for key, entry in entries.items()}
    return [pytest.param(body, id=key) for key, body in bodies.items() if body.get("kind") == "PyTorchJob"]


def test_there_are_pytorch_samples():
    assert len(pytorch_samples()) >= 4


@pytest.mark.parametrize("body", pytorch_samples())
def test_sample_round_trips_unchanged(body):
    job = FRAMEWORK.parse(copy.deepcopy(body))
    assert job.to_wire() == body
    assert json.dumps(job.to_wire(), sort_keys=True) == json.dumps(body, sort_keys=True)


@pytest.mark.parametrize("body", pytorch_samples())
def test_defaulting_leaves_the_sample_untouched(body):
    job = FRAMEWORK.parse(copy.deepcopy(body))
    FRAMEWORK.default(job)
    assert job.to_wire() == body
