"""Persistence: objects, resourceVersions and logs survive a restart of the cluster process; pods that were
running are reported Failed with reason NodeLost, as after losing a node."""

import sys

from training_operator.local import BackgroundCluster

PODS = "/api/v1/namespaces/default/pods"
OPTIONS = {"network": "loopback", "backoff_base": 0.2, "bookmark_interval": 0.3}


def test_restart_keeps_objects_and_fails_running_pods(tmp_path, api_for, wait):
    state = tmp_path / "state"
    with BackgroundCluster(state, **OPTIONS) as first:
        api = api_for(first)
        api.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "kept"}, "data": {"a": "1"}})
        api.post(
            PODS,
            {
                "metadata": {"name": "done"},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {"name": "main", "image": "local", "command": [sys.executable, "-c", "print('bye')"]}
                    ],
                },
            },
        )
        api.post(
            PODS,
            {
                "metadata": {"name": "running"},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [
                        {"name": "main", "image": "local", "command": ["sh", "-c", "echo up; sleep 60"]}
                    ],
                },
            },
        )
        wait(lambda: api.get(f"{PODS}/done")[1]["status"].get("phase") == "Succeeded", message="done")
        wait(lambda: api.get(f"{PODS}/running")[1]["status"].get("phase") == "Running", message="running")
        rv_before = int(api.get("/api/v1/namespaces/default/configmaps")[1]["metadata"]["resourceVersion"])
        token = first.token
    with BackgroundCluster(state, **OPTIONS) as second:
        assert second.token == token
        api = api_for(second)
        assert api.get("/api/v1/namespaces/default/configmaps/kept")[1]["data"] == {"a": "1"}
        lost = wait(
            lambda: (p := api.get(f"{PODS}/running")[1])["status"].get("phase") == "Failed" and p,
            message="NodeLost",
        )
        assert lost["status"]["reason"] == "NodeLost"
        assert api.get(f"{PODS}/done")[1]["status"]["phase"] == "Succeeded"
        assert api.get(f"{PODS}/done/log")[1] == "bye\n"
        assert api.get(f"{PODS}/running/log")[1] == "up\n"
        _status, created = api.post("/api/v1/namespaces/default/configmaps", {"metadata": {"name": "new"}})
        assert int(created["metadata"]["resourceVersion"]) > rv_before
