"""Per-pod namespaces (root only; skipped otherwise): two pods listen on the same port without colliding,
service and pod DNS names resolve to the right pod (headless service, hostname+subdomain FQDNs, the MPI
hostfile form), the pod's hostname is its own, and volumes are visible at their mountPath."""

import sys
import textwrap

PODS = "/api/v1/namespaces/default/pods"
PY = sys.executable

SERVER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 7000)); s.listen()
    print("listening", flush=True)
    while True:
        c, _ = s.accept(); c.sendall(socket.gethostname().encode()); c.close()
""")

CLIENT = textwrap.dedent("""
    import socket, sys, time
    deadline = time.time() + 20
    for name in sys.argv[1:]:
        while True:
            try:
                c = socket.create_connection((name, 7000), timeout=2)
                print(name, "->", socket.gethostbyname(name), c.recv(100).decode(), flush=True)
                c.close(); break
            except OSError as exc:
                if time.time() > deadline:
                    print(name, "failed", exc, flush=True); sys.exit(1)
                time.sleep(0.2)
""")


def server_pod(name: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {"job": "demo", "replica": name}},
        "spec": {
            "hostname": name,
            "subdomain": "demo",
            "terminationGracePeriodSeconds": 1,
            "containers": [
                {
                    "name": "main",
                    "image": "local",
                    "command": [PY, "-c", SERVER],
                    "ports": [{"containerPort": 7000}],
                }
            ],
        },
    }


def test_same_port_and_name_resolution(ns_cluster, api_for, wait):
    api = api_for(ns_cluster)
    api.post(
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": "demo"},
            "spec": {"clusterIP": "None", "selector": {"job": "demo"}, "ports": [{"port": 7000}]},
        },
    )
    api.post(
        "/api/v1/namespaces/default/services",
        {
            "metadata": {"name": "demo-worker-0"},
            "spec": {
                "clusterIP": "None",
                "selector": {"replica": "demo-worker-0"},
                "ports": [{"port": 7000}],
            },
        },
    )
    for name in ("demo-master-0", "demo-worker-0"):
        assert api.post(PODS, server_pod(name))[0] == 201
    for name in ("demo-master-0", "demo-worker-0"):
        wait(lambda n=name: api.get(f"{PODS}/{n}/log")[1] == "listening\n", message=f"{name} listening")
    targets = [
        "demo-worker-0",
        "demo-worker-0.default.svc",
        "demo-worker-0.default.svc.cluster.local",
        "demo-master-0.demo",
        "demo-worker-0.demo.default.svc",
    ]
    client = {
        "metadata": {"name": "client"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [{"name": "main", "image": "local", "command": [PY, "-c", CLIENT, *targets]}],
        },
    }
    api.post(PODS, client)
    wait(
        lambda: api.get(f"{PODS}/client")[1]["status"].get("phase") in ("Succeeded", "Failed"),
        timeout=30,
        message="client done",
    )
    output = api.get(f"{PODS}/client/log")[1]
    ips = {n: api.get(f"{PODS}/{n}")[1]["status"]["podIP"] for n in ("demo-master-0", "demo-worker-0")}
    lines = dict(line.split(" -> ") for line in output.strip().splitlines())
    assert lines["demo-worker-0"] == f"{ips['demo-worker-0']} demo-worker-0", output
    assert lines["demo-worker-0.default.svc.cluster.local"] == f"{ips['demo-worker-0']} demo-worker-0"
    assert lines["demo-master-0.demo"] == f"{ips['demo-master-0']} demo-master-0"
    assert lines["demo-worker-0.demo.default.svc"] == f"{ips['demo-worker-0']} demo-worker-0"
    assert api.get(f"{PODS}/client")[1]["status"]["phase"] == "Succeeded"


def test_own_hostname_resolves_to_pod_ip_and_volumes_at_mount_path(ns_cluster, api_for, wait):
    api = api_for(ns_cluster)
    api.post(
        "/api/v1/namespaces/default/configmaps",
        {"metadata": {"name": "hostfile"}, "data": {"hostfile": "w-0 slots=1\n"}},
    )
    script = (
        "import socket; print(socket.gethostname(), socket.gethostbyname(socket.gethostname()));"
        "print(open('/etc/training-operator-test/hostfile').read(), end='')"
    )
    pod = {
        "metadata": {"name": "me"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": "local",
                    "command": [PY, "-c", script],
                    "workingDir": "/tmp",
                    "volumeMounts": [
                        {"name": "h", "mountPath": "/etc/training-operator-test", "readOnly": True}
                    ],
                }
            ],
            "volumes": [{"name": "h", "configMap": {"name": "hostfile"}}],
        },
    }
    api.post(PODS, pod)
    wait(lambda: api.get(f"{PODS}/me")[1]["status"].get("phase") in ("Succeeded", "Failed"), message="done")
    ip = api.get(f"{PODS}/me")[1]["status"]["podIP"]
    assert ip.startswith("10.244.")
    assert api.get(f"{PODS}/me/log")[1] == f"me {ip}\nw-0 slots=1\n"


def test_nslookup_stand_in_resolves_through_the_pods_hosts_file(ns_cluster, api_for, wait):
    """PyTorchJob's init container waits with `nslookup <master>`; locally that must find the service."""
    api = api_for(ns_cluster)
    api.post(
        "/api/v1/namespaces/default/services",
        {"metadata": {"name": "target"}, "spec": {"clusterIP": "None", "selector": {"replica": "target"}}},
    )
    api.post(PODS, server_pod("target") | {"metadata": {"name": "target", "labels": {"replica": "target"}}})
    wait(lambda: api.get(f"{PODS}/target/log")[1] == "listening\n", message="target listening")
    lookup = {
        "metadata": {"name": "lookup"},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "main",
                    "image": "busybox",
                    "command": ["sh", "-c", "nslookup target && ! nslookup nope"],
                }
            ],
        },
    }
    api.post(PODS, lookup)
    wait(lambda: api.get(f"{PODS}/lookup")[1]["status"].get("phase") in ("Succeeded", "Failed"), timeout=30)
    ip = api.get(f"{PODS}/target")[1]["status"]["podIP"]
    output = api.get(f"{PODS}/lookup/log")[1]
    assert f"Address: {ip}" in output, output
    assert "can't find nope" in output  # at once: the pod's resolv.conf names no unreachable server
    assert api.get(f"{PODS}/lookup")[1]["status"]["phase"] == "Succeeded"
