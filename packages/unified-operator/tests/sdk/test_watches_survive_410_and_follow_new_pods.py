"""watch_jobs, stream_conditions, watch_job_pods and stream_logs, sync and async, on the local cluster.

Covers: existing jobs first as ADDED, then changes; a watch cut and answered 410 Gone (fault injection)
relists and reports exactly what changed during the gap (a deletion and a creation, each once); all
namespaces; `timeout_seconds`; each condition transition once, ending after Succeeded; pods' phase changes;
logs of a pod that starts after the stream did; each instance of a restarted container once (one that
ended before the stream looked read as the previous log); every container when asked; the stream
ending by itself when the job has finished and every log was read; `--prefix`-style lines; a missing job.
Each scenario runs against both clients (the `follow` fixture). Changes are made from inside the loop, when
the stream shows it is ready for them: nothing waits on a clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from localapi import GROUP, World, a_pytorch_job, new_namespace

from training_operator.core import labels
from training_operator.unified.sdk import AsyncTrainingClient, JobNotFound, TrainingClient

pytestmark = pytest.mark.timeout(60)
Follow = Callable[..., None]


@pytest.fixture(params=["sync", "async"])
def follow(request: pytest.FixtureRequest, kubeconfig: Path) -> Follow:
    """Iterate one streaming method of either client, handing each item to `on_item` until it returns
    True (or the stream ends by itself)."""

    def run(method: str, *args: Any, on_item: Callable[[Any], bool], **kwargs: Any) -> None:
        if request.param == "sync":
            with contextlib.closing(TrainingClient(config_file=str(kubeconfig))) as client:
                for item in getattr(client, method)(*args, **kwargs):
                    if on_item(item):
                        break
            return

        async def main() -> None:
            async with contextlib.AsyncExitStack() as stack:
                client = await stack.enter_async_context(AsyncTrainingClient(config_file=str(kubeconfig)))
                items = await stack.enter_async_context(
                    contextlib.aclosing(getattr(client, method)(*args, **kwargs))
                )
                async for item in items:
                    if on_item(item):
                        break

        asyncio.run(main())

    return run


def create(world: World, name: str, namespace: str | None = None) -> None:
    world.custom.create_namespaced_custom_object(
        GROUP, "v1", namespace or world.namespace, "pytorchjobs", a_pytorch_job(name)
    )


def test_watch_jobs_reports_the_gap_after_410_once(follow: Follow, world: World):
    create(world, "a")
    seen: list[tuple[str, str]] = []

    def on_item(event) -> bool:
        seen.append((event.type, event.job.name))
        if seen == [("ADDED", "a")]:  # the watch is open: break it, and change things while it is down
            world.fault(code=410, verbs=["watch"], resource="pytorchjobs", times=1)
            world.debug("POST", "/debug/watches/cut")
            world.custom.delete_namespaced_custom_object(GROUP, "v1", world.namespace, "pytorchjobs", "a")
            create(world, "b")
        return len(seen) == 3

    follow("watch_jobs", on_item=on_item)

    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    report = world.debug("GET", "/debug/requests")
    assert report["requests"]["list pytorchjobs"] == 2  # the first read and the relist after 410
    assert [rule["fired"] for rule in report["rules"]] == [1]


def test_watch_jobs_sees_modifications_and_every_namespace(follow: Follow, world: World):
    other = new_namespace(world.kube)
    create(world, "here")
    seen: list[tuple[str, str, str]] = []

    def on_item(event) -> bool:
        if event.job.namespace not in (world.namespace, other):
            return False  # earlier tests' jobs: the cluster is shared
        seen.append((event.type, event.job.namespace, event.job.name))
        if event.type == "ADDED" and event.job.name == "here":
            create(world, "there", other)
        if event.type == "ADDED" and event.job.name == "there":
            world.set_conditions("pytorchjobs", "here", "Created")
        return event.type == "MODIFIED"

    follow("watch_jobs", all_namespaces=True, on_item=on_item)

    assert seen == [
        ("ADDED", world.namespace, "here"),
        ("ADDED", other, "there"),
        ("MODIFIED", world.namespace, "here"),
    ]


def test_watch_jobs_ends_after_timeout_seconds(follow: Follow, world: World):
    create(world, "only")
    seen: list[str] = []

    follow("watch_jobs", timeout_seconds=0.5, on_item=lambda event: seen.append(event.job.name) and False)

    assert seen == ["only"]


def test_stream_conditions_yields_each_transition_once_and_ends(follow: Follow, world: World):
    create(world, "steps")
    world.set_conditions("pytorchjobs", "steps", "Created")
    later = [("Created", "Running"), ("Created", "Running", "Succeeded")]
    seen: list[str] = []

    def on_item(condition) -> bool:
        seen.append(f"{condition.type}={condition.status}")
        if later:
            world.set_conditions("pytorchjobs", "steps", *later.pop(0))
        return False  # never stop it: the stream ends by itself after Succeeded

    follow("stream_conditions", "steps", on_item=on_item)

    assert seen == ["Created=True", "Running=True", "Succeeded=True"]


def test_stream_conditions_of_a_missing_job(follow: Follow):
    with pytest.raises(JobNotFound):
        follow("stream_conditions", "absent", on_item=lambda _: False)


def test_watch_job_pods_reports_phase_changes(follow: Follow, world: World, tmp_path: Path):
    release = tmp_path / "release"
    seen: list[tuple[str, str, bool, int]] = []

    def on_item(event) -> bool:
        seen.append((event.name, event.phase, event.ready, event.restarts))
        if event.phase == "Running":
            release.touch()
        return event.phase == "Succeeded"

    pod_labels = {labels.JOB_NAME: "pods", labels.REPLICA_TYPE: "worker", labels.REPLICA_INDEX: "0"}
    world.add_pod("pods-worker-0", pod_labels, script=f"until [ -e {release} ]; do sleep 0.05; done")
    follow("watch_job_pods", "pods", on_item=on_item)

    assert [phase for _, phase, _, _ in seen][-2:] == ["Running", "Succeeded"]
    assert seen[-1] == ("pods-worker-0", "Succeeded", False, 0)
    assert len(seen) == len(set(seen))  # a status write that changes none of these is not reported


def pod_of(job: str, replica_type: str, index: int) -> tuple[str, dict[str, str]]:
    return f"{job}-{replica_type}-{index}", {
        labels.JOB_NAME: job,
        labels.REPLICA_TYPE: replica_type,
        labels.REPLICA_INDEX: str(index),
    }


def test_stream_logs_follows_a_pod_that_starts_later(follow: Follow, world: World, tmp_path: Path):
    create(world, "late")
    release = tmp_path / "release"
    waits = f"until [ -e {release} ]; do sleep 0.05; done"
    world.add_pod(*pod_of("late", "master", 0), script=f"echo master up; {waits}; echo master done")
    world.wait_pod("late-master-0", lambda pod: pod.status.phase == "Running")
    lines: list[str] = []

    def on_item(line) -> bool:
        lines.append(str(line))
        if line.text == "master up":  # the stream is running: now a worker joins (elastic scale-up)
            world.add_pod(*pod_of("late", "worker", 0), script=f"echo worker up; {waits}; echo worker done")
        if line.text == "worker up":
            release.touch()
        if sum(text.endswith("done") for text in lines) == 2:
            world.set_conditions("pytorchjobs", "late", "Created", "Succeeded")
        return False  # the stream ends by itself: job finished, every log read to its end

    follow("stream_logs", "late", on_item=on_item)

    assert sorted(lines) == [
        "[pod/late-master-0/pytorch] master done",
        "[pod/late-master-0/pytorch] master up",
        "[pod/late-worker-0/pytorch] worker done",
        "[pod/late-worker-0/pytorch] worker up",
    ]


def test_stream_logs_reads_every_instance_of_a_restarted_container(
    follow: Follow, world: World, tmp_path: Path
):
    create(world, "again")
    marker, release = tmp_path / "ran-once", tmp_path / "release"
    script = (
        f"if [ -e {marker} ]; then echo second run; "
        f"else touch {marker}; echo first run; until [ -e {release} ]; do sleep 0.05; done; exit 1; fi"
    )
    world.add_pod(*pod_of("again", "worker", 0), script=script, restart_policy="OnFailure")
    texts: list[str] = []

    def on_item(line) -> bool:
        texts.append(line.text)
        if line.text == "first run":
            release.touch()
        if line.text == "second run":
            world.set_conditions("pytorchjobs", "again", "Created", "Succeeded")
        return False

    follow("stream_logs", "again", replicas=["Worker"], prefix=False, on_item=on_item)

    assert texts == ["first run", "second run"]


def test_an_instance_that_ended_before_the_stream_is_read_as_the_previous_log(
    follow: Follow, world: World, tmp_path: Path
):
    create(world, "quick")
    marker, release = tmp_path / "ran-once", tmp_path / "release"
    script = (
        f"if [ -e {marker} ]; then echo second run; until [ -e {release} ]; do sleep 0.05; done; "
        f"else touch {marker}; echo first run; exit 1; fi"
    )
    world.add_pod(*pod_of("quick", "worker", 0), script=script, restart_policy="OnFailure")
    running_again = world.wait_pod(  # the first run ended before anyone looked
        "quick-worker-0",
        lambda pod: (
            bool(pod.status.container_statuses)
            and pod.status.container_statuses[0].restart_count == 1
            and pod.status.container_statuses[0].state.running is not None
        ),
    )
    assert running_again.status.container_statuses[0].last_state.terminated is not None
    seen: list[tuple[int, str]] = []

    def on_item(line) -> bool:
        seen.append((line.restarts, line.text))
        if line.text == "second run":
            release.touch()
            world.set_conditions("pytorchjobs", "quick", "Created", "Succeeded")
        return False

    follow("stream_logs", "quick", prefix=False, on_item=on_item)

    assert seen == [(0, "first run"), (1, "second run")]


def test_stream_logs_reads_every_container_when_asked(follow: Follow, world: World):
    create(world, "pair")
    world.add_pod(*pod_of("pair", "worker", 0), script="echo main says hi", containers=("pytorch", "sidecar"))
    world.wait_pod("pair-worker-0", lambda pod: pod.status.phase == "Succeeded")
    world.set_conditions("pytorchjobs", "pair", "Created", "Succeeded")
    lines: list[str] = []

    follow("stream_logs", "pair", all_containers=True, on_item=lambda line: lines.append(str(line)) and False)
    only_main: list[str] = []
    follow("stream_logs", "pair", on_item=lambda line: only_main.append(str(line)) and False)

    assert sorted(lines) == ["[pod/pair-worker-0/pytorch] main says hi", "[pod/pair-worker-0/sidecar] noise"]
    assert only_main == ["[pod/pair-worker-0/pytorch] main says hi"]


def test_stream_logs_without_follow_reads_what_is_there(follow: Follow, world: World):
    create(world, "mnist")
    world.job_pods()
    lines: list[str] = []

    follow(
        "stream_logs",
        "mnist",
        follow=False,
        replicas=["worker"],
        on_item=lambda line: lines.append(str(line)) and False,
    )

    assert sorted(lines) == [
        "[pod/mnist-worker-0/pytorch] worker 0 says hi",
        "[pod/mnist-worker-1/pytorch] worker 1 says hi",
    ]
