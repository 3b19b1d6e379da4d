"""Every framework's example trains (or proves its wiring) with real processes on the local node.

Covers (local-cluster.md §5): PyTorch DDP with gloo (all ranks agree on the final loss and the weights),
torchrun elastic from PET_* (every process joins one rendezvous), XGBoost collective training through the
master's tracker (one model on every rank), real TensorFlow MultiWorkerMirroredStrategy driven by TF_CONFIG
(every task ends with the same weights), TF_CONFIG with a PS (every task reaches every other task at the
address TF_CONFIG gives it), MXNet's DMLC_* contract, a PaddlePaddle collective job started by
`paddle.distributed.launch` from PADDLE_* (both ranks all-reduce to the same weights) and JAX's
jax.distributed over the coordinator env (every process gathers the same contributions and the same total).
Each case asserts the job's conditions, the pods' exit codes and the training output, not just that
something finished.
"""

import importlib.util
import re

import pytest

pytestmark = pytest.mark.e2e


def needs(module: str):
    return pytest.mark.skipif(importlib.util.find_spec(module) is None, reason=f"{module} is not installed")


def agreed(logs: list[str], key: str) -> set[str]:
    return {value for log in logs for value in re.findall(rf"\b{key}=(\S+)", log)}


CASES = [
    pytest.param(
        "pytorch/smoke-dist/job.yaml",
        "ddp",
        3,
        ("final_loss", "weights"),
        marks=needs("torch"),
        id="pytorch-ddp",
    ),
    pytest.param(
        "pytorch/elastic/echo/job.yaml",
        "elastic",
        2,
        ("world_size", "rank_sum"),
        marks=needs("torch"),
        id="pytorch-elastic",
    ),
    pytest.param(
        "xgboost/smoke-dist/job.yaml",
        "xgb",
        3,
        ("final_error", "model"),
        marks=needs("xgboost"),
        id="xgboost",
    ),
    pytest.param(
        "tensorflow/mwms/job.yaml",
        "tfmw",
        3,
        ("workers", "final_loss", "weights"),
        marks=needs("tensorflow"),
        id="tensorflow-multiworker",
    ),
    pytest.param(
        "paddle/collective/job.yaml",
        "pd",
        2,
        ("world_size", "rank_sum", "mean_loss", "weights"),
        marks=needs("paddle"),
        id="paddle-collective",
    ),
    pytest.param(
        "jax/cpu-demo/job.yaml",
        "jax",
        2,
        ("processes", "gathered", "total"),
        marks=needs("jax"),
        id="jax-distributed",
    ),
    pytest.param("tensorflow/tf_sample/job.yaml", "tf", 4, ("missing",), id="tensorflow-tf-config"),
    pytest.param("mxnet/train/job.yaml", "mx", 4, (), id="mxnet-dmlc"),
]


@pytest.mark.parametrize(("example", "name", "pods", "agreeing"), CASES)
def test_example_succeeds_with_every_rank_agreeing(jobs, example, name, pods, agreeing):
    job = jobs.wait(jobs.submit(example, name=f"e2e-{name}"))
    # the job may finish on its master's success while other ranks are still exiting
    seen = jobs.wait_pods(job, lambda pods: all(p.status.phase in ("Succeeded", "Failed") for p in pods))
    seen = sorted(seen, key=lambda pod: pod.metadata.name)
    logs = [jobs.log(pod.metadata.name) for pod in seen]
    assert jobs.conditions(job)[0] == ("Created", "True"), jobs.conditions(job)
    assert jobs.conditions(job)[-1] == ("Succeeded", "True"), (jobs.conditions(job), logs)
    assert jobs.state(job) == "Succeeded"  # what `kubectl get` shows
    assert len(seen) == pods
    for pod in seen:
        assert pod.status.phase == "Succeeded", (pod.metadata.name, logs)
        assert pod.status.container_statuses[0].state.terminated.exit_code == 0
    for key in agreeing:
        values = agreed(logs, key)
        assert len(values) == 1, (key, values, logs)
