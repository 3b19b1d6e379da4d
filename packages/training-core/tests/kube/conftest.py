"""Test doubles for the kube adapter: a recording API client with scripted answers, pod bodies."""

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any

from training_operator.core.kube.client import ApiError

Answer = dict[str, Any] | ApiError | Callable[[dict[str, Any] | None], dict[str, Any]]


class RecordingClient:
    """Stands in for `ApiClient`: records (method, path, body), answers from a script keyed by (method, path).

    Unscripted requests echo the body back with a uid, as an API server would after a create.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.content_types: list[str] = []
        self.answers: dict[tuple[str, str], list[Answer]] = {}
        self.streams: list[list[dict[str, Any]] | ApiError] = []
        self.session = None

    def answer(self, method: str, path: str, *answers: Answer) -> None:
        self.answers.setdefault((method, path), []).extend(answers)

    async def request(self, method, path, *, params=None, body=None, content_type="application/json"):
        self.calls.append((method, path, copy.deepcopy(body)))
        self.content_types.append(content_type)
        queue = self.answers.get((method, path))
        if queue:
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            if isinstance(answer, ApiError):
                raise answer
            return answer(body) if callable(answer) else copy.deepcopy(answer)
        echoed = copy.deepcopy(body) if isinstance(body, dict) else {}
        if method == "POST" and "metadata" in echoed:
            echoed["metadata"].setdefault("uid", f"uid-{echoed['metadata'].get('name')}")
        return echoed

    async def watch(self, path: str, params: dict[str, str]) -> AsyncIterator[dict[str, Any]]:
        self.calls.append(("WATCH", path, dict(params)))
        if not self.streams:
            await asyncio.Event().wait()  # an open watch with nothing to say
        script = self.streams.pop(0)
        if isinstance(script, ApiError):
            raise script
        for event in script:
            yield event

    @property
    def writes(self) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] in ("POST", "PUT", "PATCH", "DELETE")]


def pod(
    name: str, *, job: str = "job-a", uid: str = "job-uid", phase: str = "Running", rv: str = "1"
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "resourceVersion": rv,
            "labels": {
                "training.kubeflow.org/operator-name": "demojob-controller",
                "training.kubeflow.org/job-name": job,
                "training.kubeflow.org/replica-type": "worker",
            },
            "ownerReferences": [
                {
                    "apiVersion": "kubeflow.org/v1",
                    "kind": "DemoJob",
                    "name": job,
                    "uid": uid,
                    "controller": True,
                }
            ],
        },
        "status": {"phase": phase},
    }


import pytest  # noqa: E402


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()


@pytest.fixture
def a_pod() -> Callable[..., dict[str, Any]]:
    return pod
