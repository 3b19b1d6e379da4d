"""Scheduler: pods bind to local-node with PodScheduled=True; GPU requests the node lacks leave the pod
Pending with PodScheduled=False/Unschedulable."""

PODS = "/api/v1/namespaces/default/pods"


def scheduled(api, name: str) -> dict | None:
    pod = api.get(f"{PODS}/{name}")[1]
    return next(
        (c for c in pod.get("status", {}).get("conditions") or [] if c["type"] == "PodScheduled"), None
    )


def test_pod_is_bound_to_the_node(api, wait, make_pod):
    api.post(PODS, make_pod("bound", ["sleep", "5"]))
    condition = wait(lambda: scheduled(api, "bound"), message="PodScheduled")
    assert condition["status"] == "True"
    assert api.get(f"{PODS}/bound")[1]["spec"]["nodeName"] == "local-node"


def test_gpu_pod_is_unschedulable_without_gpus(api, wait, make_pod):
    _status, node = api.get("/api/v1/nodes/local-node")
    if "nvidia.com/gpu" in node["status"]["allocatable"]:
        import pytest

        pytest.skip("this machine has GPUs")
    pod = make_pod("gpu", ["true"])
    pod["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": "1"}}
    api.post(PODS, pod)
    condition = wait(lambda: scheduled(api, "gpu"), message="PodScheduled")
    assert condition["status"] == "False"
    assert condition["reason"] == "Unschedulable"
    assert "Insufficient nvidia.com/gpu" in condition["message"]
    got = api.get(f"{PODS}/gpu")[1]
    assert got["status"]["phase"] == "Pending"
    assert not got["spec"].get("nodeName")


def test_scheduling_is_recorded_as_an_event(api, wait, make_pod):
    api.post(PODS, make_pod("evented", ["true"], restartPolicy="Never"))
    found = wait(
        lambda: api.get(
            "/api/v1/namespaces/default/events", fieldSelector="involvedObject.name=evented,reason=Scheduled"
        )[1]["items"],
        message="Scheduled event",
    )
    assert found[0]["message"] == "Successfully assigned default/evented to local-node"
    assert found[0]["source"]["component"] == "default-scheduler"
