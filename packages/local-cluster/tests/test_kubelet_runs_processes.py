"""Process kubelet: env (literal, valueFrom, envFrom, $(VAR) expansion), volumes with modes, init containers
in order, exit codes and reasons, restart back-off with restartCount/lastState, logs (tail, previous,
follow), LocalCommandRequired, graceful termination of a whole process group, pod conditions."""

import base64
import json
import sys
from pathlib import Path

import pytest

PODS = "/api/v1/namespaces/default/pods"
PY = sys.executable


def pod_status(api, name: str) -> dict:
    return api.get(f"{PODS}/{name}")[1].get("status") or {}


def phase_is(api, name: str, *phases: str):
    return lambda: pod_status(api, name).get("phase") in phases


def log(api, name: str, **params) -> str:
    status, body = api.get(f"{PODS}/{name}/log", **params)
    assert status == 200, body
    return body if isinstance(body, str) else json.dumps(body)


def test_env_value_from_and_expansion(api, wait, make_pod):
    api.post(
        "/api/v1/namespaces/default/configmaps",
        {"metadata": {"name": "cfg"}, "data": {"color": "blue", "X": "fromcm"}},
    )
    api.post(
        "/api/v1/namespaces/default/secrets", {"metadata": {"name": "sec"}, "stringData": {"token": "s3cret"}}
    )
    keys = ["A", "B", "NAME", "NS", "IP", "NODE", "LBL", "COLOR", "TOKEN", "CPU", "X", "P_X"]
    script = f"import os,json; print(json.dumps({{k: os.environ.get(k) for k in {keys!r}}}))"
    pod = make_pod("env", [PY, "-c", script], restartPolicy="Never")
    pod["metadata"]["labels"] = {"app": "demo"}
    pod["spec"]["containers"][0].update(
        resources={"limits": {"cpu": "1500m"}},
        envFrom=[{"configMapRef": {"name": "cfg"}}, {"prefix": "P_", "configMapRef": {"name": "cfg"}}],
        env=[
            {"name": "A", "value": "a"},
            {"name": "B", "value": "$(A)-b-$(MISSING)-$$(A)"},
            {"name": "NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "LBL", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "COLOR", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "color"}}},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}},
            {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        ],
    )
    api.post(PODS, pod)
    wait(phase_is(api, "env", "Succeeded", "Failed"), message="pod done")
    env = json.loads(log(api, "env"))
    assert env["A"] == "a"
    assert env["B"] == "a-b-$(MISSING)-$(A)"
    assert env["NAME"] == "env"
    assert env["NS"] == "default"
    assert env["NODE"] == "local-node"
    assert env["IP"] == pod_status(api, "env")["podIP"]
    assert env["LBL"] == "demo"
    assert env["COLOR"] == "blue"
    assert env["TOKEN"] == "s3cret"
    assert env["CPU"] == "2"
    assert env["X"] == "fromcm"
    assert env["P_X"] == "fromcm"


def test_command_args_expansion(api, wait, make_pod):
    pod = make_pod("args", ["sh", "-c"], restartPolicy="Never")
    pod["spec"]["containers"][0].update(
        args=["echo $(GREETING) world"], env=[{"name": "GREETING", "value": "hello"}]
    )
    api.post(PODS, pod)
    wait(phase_is(api, "args", "Succeeded"), message="Succeeded")
    assert log(api, "args") == "hello world\n"


def test_volumes_are_materialised_with_modes(api, wait, make_pod, cluster):
    api.post(
        "/api/v1/namespaces/default/configmaps",
        {"metadata": {"name": "vol"}, "data": {"a.txt": "A", "b.txt": "B"}},
    )
    api.post(
        "/api/v1/namespaces/default/secrets",
        {"metadata": {"name": "vs"}, "data": {"key": base64.b64encode(b"K").decode()}},
    )
    pod = make_pod("vols", ["sleep", "30"], terminationGracePeriodSeconds=1)
    pod["metadata"]["labels"] = {"team": "x"}
    pod["spec"]["volumes"] = [
        {
            "name": "cm",
            "configMap": {"name": "vol", "items": [{"key": "a.txt", "path": "sub/a", "mode": 0o600}]},
        },
        {"name": "sec", "secret": {"secretName": "vs", "defaultMode": 0o400}},
        {"name": "scratch", "emptyDir": {}},
        {
            "name": "meta",
            "downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]},
        },
    ]
    api.post(PODS, pod)
    wait(phase_is(api, "vols", "Running"), message="Running")
    _status, stored = api.get(f"{PODS}/vols")
    sandbox = next((cluster.state_dir / "pods").glob(f"default_vols_{stored['metadata']['uid']}"))
    volumes = sandbox / "volumes"
    assert (volumes / "cm" / "sub" / "a").read_text() == "A"
    assert (volumes / "cm" / "sub" / "a").stat().st_mode & 0o777 == 0o600
    assert not (volumes / "cm" / "b.txt").exists()
    assert (volumes / "sec" / "key").read_bytes() == b"K"
    assert (volumes / "sec" / "key").stat().st_mode & 0o777 == 0o400
    assert (volumes / "scratch").is_dir()
    assert (volumes / "meta" / "labels").read_text() == 'team="x"'


def test_a_pod_has_a_temporary_directory_of_its_own_removed_when_it_ends(api, wait, make_pod, cluster):
    # launchers such as torchrun's elastic agent make a directory in TMPDIR for every run
    script = "import os, tempfile; print(tempfile.mkdtemp(prefix='torchelastic_'), os.environ['TMPDIR'])"
    api.post(PODS, make_pod("scratch", [PY, "-c", script], restartPolicy="Never"))
    own = make_pod("own", [PY, "-c", "import os; print(os.environ['TMPDIR'])"], restartPolicy="Never")
    own["spec"]["containers"][0]["env"] = [{"name": "TMPDIR", "value": "/var/tmp"}]
    api.post(PODS, own)
    wait(phase_is(api, "scratch", "Succeeded", "Failed"), message="scratch done")
    wait(phase_is(api, "own", "Succeeded", "Failed"), message="own done")
    made, tmpdir = log(api, "scratch").split()
    _status, stored = api.get(f"{PODS}/scratch")
    sandbox = cluster.state_dir / "pods" / f"default_scratch_{stored['metadata']['uid']}"
    assert Path(tmpdir) == sandbox / "tmp"  # inside the cluster's state dir, not the machine's /tmp
    assert Path(made).parent == Path(tmpdir)
    wait(lambda: not Path(tmpdir).exists(), message="the ended pod's TMPDIR removed")
    assert (sandbox / "logs").is_dir()  # its logs stay
    assert log(api, "own").strip() == "/var/tmp"  # a container's own TMPDIR wins


def test_init_containers_run_in_order_first(api, wait, make_pod, cluster):
    pod = make_pod("init", ["sh", "-c", "cat $MARK"], restartPolicy="Never")
    marker = str(cluster.state_dir / "marker")
    pod["spec"]["containers"][0]["env"] = [{"name": "MARK", "value": marker}]
    pod["spec"]["initContainers"] = [
        {"name": "first", "image": "local", "command": ["sh", "-c", f"echo one > {marker}"]},
        {"name": "second", "image": "local", "command": ["sh", "-c", f"echo two >> {marker}"]},
    ]
    api.post(PODS, pod)
    wait(phase_is(api, "init", "Succeeded"), message="Succeeded")
    assert log(api, "init") == "one\ntwo\n"
    status = pod_status(api, "init")
    assert [s["state"]["terminated"]["reason"] for s in status["initContainerStatuses"]] == [
        "Completed",
        "Completed",
    ]
    assert {c["type"]: c["status"] for c in status["conditions"]}["Initialized"] == "True"


def test_failed_init_container_fails_a_never_pod(api, wait, make_pod):
    pod = make_pod("badinit", ["true"], restartPolicy="Never")
    pod["spec"]["initContainers"] = [{"name": "boom", "image": "local", "command": ["sh", "-c", "exit 2"]}]
    api.post(PODS, pod)
    wait(phase_is(api, "badinit", "Failed"), message="Failed")
    status = pod_status(api, "badinit")
    assert status["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 2
    assert status["containerStatuses"][0]["state"].get("waiting")


def test_exit_codes_and_phase(api, wait, make_pod):
    api.post(PODS, make_pod("fails", ["sh", "-c", "echo oops; exit 7"], restartPolicy="Never"))
    wait(phase_is(api, "fails", "Failed"), message="Failed")
    terminated = pod_status(api, "fails")["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 7
    assert terminated["reason"] == "Error"
    conditions = {c["type"]: c for c in pod_status(api, "fails")["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert conditions["Ready"]["reason"] == "PodCompleted"


def test_restart_back_off_counts_and_previous_logs(api, wait, make_pod):
    api.post(PODS, make_pod("crash", ["sh", "-c", "echo run; exit 1"], restartPolicy="OnFailure"))
    status = wait(
        lambda: (
            (s := pod_status(api, "crash")).get("containerStatuses")
            and s["containerStatuses"][0]["restartCount"] >= 2
            and s
        ),
        message="two restarts",
    )
    container = status["containerStatuses"][0]
    assert container["lastState"]["terminated"]["exitCode"] == 1
    assert status["phase"] in ("Running", "Pending")
    wait(
        lambda: (
            pod_status(api, "crash")["containerStatuses"][0]["state"].get("waiting", {}).get("reason")
            == "CrashLoopBackOff"
        ),
        message="CrashLoopBackOff",
    )
    assert log(api, "crash", previous="true") == "run\n"


@pytest.mark.parametrize("policy", ["Always", "Never"])
def test_container_without_command_fails_the_pod_at_once(api, wait, make_pod, policy):
    api.post(PODS, make_pod("noimage", restartPolicy=policy))
    wait(phase_is(api, "noimage", "Failed"), message="the pod Failed")
    failed = pod_status(api, "noimage")
    assert failed["reason"] == "LocalCommandRequired"
    assert "must set `command`" in failed["message"]
    terminated = failed["containerStatuses"][0]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("LocalCommandRequired", 128)
    events = api.get("/api/v1/namespaces/default/events")[1]["items"]
    assert any(e["reason"] == "LocalCommandRequired" and e["type"] == "Warning" for e in events)


def test_missing_executable_is_a_start_error(api, wait, make_pod):
    api.post(PODS, make_pod("nobin", ["/definitely/not/here"], restartPolicy="Never"))
    wait(phase_is(api, "nobin", "Failed"), message="Failed")
    terminated = pod_status(api, "nobin")["containerStatuses"][0]["state"]["terminated"]
    assert terminated["reason"] == "StartError"
    assert terminated["exitCode"] == 128


def test_ready_conditions_while_running(api, wait, make_pod):
    api.post(PODS, make_pod("ready", ["sleep", "30"], terminationGracePeriodSeconds=1))
    wait(
        lambda: (
            {c["type"]: c["status"] for c in pod_status(api, "ready").get("conditions") or []}.get("Ready")
            == "True"
        ),
        message="Ready",
    )
    conditions = {c["type"]: c["status"] for c in pod_status(api, "ready")["conditions"]}
    assert conditions == {
        "PodScheduled": "True",
        "Initialized": "True",
        "ContainersReady": "True",
        "Ready": "True",
        "PodReadyToStartContainers": "True",
    }
    assert pod_status(api, "ready")["containerStatuses"][0]["ready"] is True


def test_logs_tail_and_container_choice(api, wait, make_pod):
    pod = make_pod("logs", ["sh", "-c", "for i in 1 2 3 4; do echo line$i; done"], restartPolicy="Never")
    pod["spec"]["containers"].append(
        {"name": "other", "image": "local", "command": ["sh", "-c", "echo other"]}
    )
    api.post(PODS, pod)
    wait(phase_is(api, "logs", "Succeeded"), message="Succeeded")
    assert log(api, "logs", container="main", tailLines=2) == "line3\nline4\n"
    assert log(api, "logs", container="other") == "other\n"
    status, body = api.get(f"{PODS}/logs/log")
    assert status == 400
    assert "a container name must be specified" in body["message"]


def test_follow_streams_until_exit(api, wait, make_pod):
    api.post(PODS, make_pod("follow", ["sh", "-c", "echo start; sleep 1; echo end"], restartPolicy="Never"))
    wait(phase_is(api, "follow", "Running", "Succeeded"), message="started")
    wait(lambda: api.get(f"{PODS}/follow/log")[0] == 200, message="log exists")
    response = api.session.get(
        api.url + f"{PODS}/follow/log", params={"follow": "true"}, stream=True, verify=api.ca, timeout=20
    )
    text = b"".join(response.iter_content(chunk_size=None)).decode()
    assert text == "start\nend\n"


def test_deletion_terminates_the_process_group(api, wait, make_pod, cluster):
    marker = cluster.state_dir / "child-got-term"
    trapping = cluster.state_dir / "child-traps-term"
    # The child traps TERM and writes a marker: SIGTERM must reach the whole group, not just the shell.
    # The main shell does not forward TERM; it only waits for its child once TERM arrives. The pod is
    # deleted only once the child says its trap is set (Running means the main shell started, no more).
    child = f"trap 'echo term > {marker}; exit 0' TERM; echo yes > {trapping}; while true; do sleep 0.1; done"
    script = f'sh -c "{child}" & pid=$!; trap "wait $pid; exit 0" TERM; wait $pid'
    api.post(PODS, make_pod("grace", ["sh", "-c", script], terminationGracePeriodSeconds=5))
    wait(phase_is(api, "grace", "Running"), message="Running")
    wait(trapping.exists, message="the child's trap is set")
    status, body = api.delete(f"{PODS}/grace")
    assert status == 200
    assert body["metadata"]["deletionTimestamp"]
    wait(lambda: api.get(f"{PODS}/grace")[0] == 404, message="pod removed after termination")
    assert marker.read_text().strip() == "term"


def test_force_delete_after_grace_kills(api, wait, make_pod):
    api.post(
        PODS,
        make_pod(
            "stubborn",
            ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"],
            terminationGracePeriodSeconds=1,
        ),
    )
    wait(phase_is(api, "stubborn", "Running"), message="Running")
    api.delete(f"{PODS}/stubborn")
    wait(lambda: api.get(f"{PODS}/stubborn")[0] == 404, timeout=15, message="killed after grace")


def test_pod_active_deadline(api, wait, make_pod):
    api.post(
        PODS, make_pod("deadline", ["sleep", "30"], activeDeadlineSeconds=1, terminationGracePeriodSeconds=1)
    )
    wait(phase_is(api, "deadline", "Failed"), message="Failed")
    assert pod_status(api, "deadline")["reason"] == "DeadlineExceeded"


def test_every_pod_gets_its_own_ip(api, wait, make_pod):
    for name in ("ip1", "ip2"):
        api.post(PODS, make_pod(name, ["sleep", "30"], terminationGracePeriodSeconds=1))
    ips = wait(
        lambda: (
            all(pod_status(api, n).get("podIP") for n in ("ip1", "ip2"))
            and {pod_status(api, n)["podIP"] for n in ("ip1", "ip2")}
        ),
        message="IPs",
    )
    assert len(ips) == 2
