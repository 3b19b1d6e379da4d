"""The PriorityClass cache `follow` keeps for gang scheduling: filled by the list, changed by watch events,
replaced by a relist; and an RBAC without the rule (403) does not hold the operator's start-up."""

import asyncio

from training_operator.core.kube import watch
from training_operator.core.kube.client import ApiError
from training_operator.core.kube.resources import PRIORITY_CLASSES

PATH = "/apis/scheduling.k8s.io/v1/priorityclasses"


def priority_class(name: str, value: object) -> dict:
    return {"metadata": {"name": name, "resourceVersion": "2"}, "value": value}


async def run_until(task_done: asyncio.Event, coroutine) -> None:
    task = asyncio.create_task(coroutine)
    await asyncio.wait_for(task_done.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_values_follow_the_list_and_the_watch(client):
    client.answer(
        "GET", PATH, {"metadata": {"resourceVersion": "1"}, "items": [priority_class("high", 1000)]}
    )
    client.streams = [
        [
            {"type": "ADDED", "object": priority_class("low", -5)},
            {"type": "MODIFIED", "object": priority_class("high", 2000)},
            {"type": "ADDED", "object": priority_class("odd", "not a number")},
            {"type": "DELETED", "object": priority_class("low", -5)},
        ]
    ]
    values: dict[str, int] = {}
    synced = asyncio.Event()
    task = asyncio.create_task(
        watch.follow(client, PRIORITY_CLASSES, watch.ValueCache("value", values), synced=synced)
    )
    await asyncio.wait_for(synced.wait(), 5)
    for _ in range(1000):  # the scripted stream is consumed without blocking
        if len([c for c in client.calls if c[0] == "WATCH"]) >= 2:
            break
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert values == {"high": 2000, "odd": 0}


async def test_a_forbidden_optional_resource_lets_start_up_go_on(client):
    client.answer("GET", PATH, ApiError(403, "Forbidden", "priorityclasses is forbidden"))
    synced = asyncio.Event()
    values: dict[str, int] = {}
    cache = watch.ValueCache("value", values)
    await run_until(synced, watch.follow(client, PRIORITY_CLASSES, cache, synced=synced, optional=True))
    assert values == {}
