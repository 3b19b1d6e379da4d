"""The first sync of a valid MPIJob: what gets created, in which order, and with which content.

Covers mpi.md AC-1 (OpenMPI defaults: Service, ConfigMap, Secret, workers, launcher Job, status, event),
AC-2 (Intel env, custom slots, non-root SSH path), AC-3 (MPICH), AC-4 (--cluster-domain), AC-5
(runLauncherAsWorker) and AC-6 (launcher as the only host), plus the real key generator's output format.
"""

import base64

import pytest

from training_operator.core import keys, labels
from training_operator.mpi.testing import (
    FIXED_KEYS,
    NOW_TEXT,
    a_job,
    a_pod,
    existing,
    merged,
    status_of,
    sync,
)


def by_kind(plan, kind, name=None):
    found = [c.body for c in plan.creates if c.kind == kind and (name is None or c.name == name)]
    assert len(found) == 1, f"expected one {kind} {name}, got {len(found)}"
    return found[0]


def env_of(container):
    return [(e["name"], e["value"]) for e in container.get("env", [])]


def test_ac1_writes_in_upstream_order():
    plan = sync(a_job())
    assert [(c.kind, c.name) for c in plan.creates] == [
        ("Service", "pi"),
        ("ConfigMap", "pi-config"),
        ("Secret", "pi-ssh"),
        ("Pod", "pi-worker-0"),
        ("Pod", "pi-worker-1"),
        ("Job", "pi-launcher"),
    ]
    assert plan.updates == ()
    assert plan.deletes == ()
    assert plan.error is None


def test_ac1_service_config_map_and_secret():
    plan = sync(a_job())
    service = by_kind(plan, "Service")
    selector = {labels.OPERATOR_NAME: "mpi-operator", labels.JOB_NAME: "pi"}
    assert service["spec"] == {"clusterIP": "None", "selector": selector}
    assert service["metadata"]["labels"] == {"app": "pi"}
    owner = service["metadata"]["ownerReferences"]
    assert owner == [
        {"apiVersion": "kubeflow.org/v2beta1", "kind": "MPIJob", "name": "pi", "uid": "uid-mpijob"}
        | {"controller": True, "blockOwnerDeletion": True}
    ]
    data = by_kind(plan, "ConfigMap")["data"]
    assert data == {
        "hostfile": "pi-worker-0.pi.default.svc slots=1\npi-worker-1.pi.default.svc slots=1\n",
        "discover_hosts.sh": "#!/bin/sh\n",
    }
    secret = by_kind(plan, "Secret")
    assert secret["type"] == "kubernetes.io/ssh-auth"
    decoded = {k: base64.b64decode(v) for k, v in secret["data"].items()}
    assert decoded == {"ssh-privatekey": FIXED_KEYS[0], "ssh-publickey": FIXED_KEYS[1]}


def test_real_key_generator_makes_an_ecdsa_p521_pair():
    private, public = keys.ssh_key_pair()
    assert private.startswith(b"-----BEGIN EC PRIVATE KEY-----")
    assert public.startswith(b"ecdsa-sha2-nistp521 ")
    assert public.endswith(b"\n")
    assert keys.ssh_key_pair()[0] != private


def test_ac1_worker_pod():
    pod = by_kind(sync(a_job()), "Pod", "pi-worker-0")
    assert pod["metadata"]["labels"] == {
        labels.OPERATOR_NAME: "mpi-operator",
        labels.JOB_NAME: "pi",
        labels.JOB_ROLE: "worker",
        labels.REPLICA_INDEX: "0",
    }
    spec = pod["spec"]
    assert (spec["hostname"], spec["subdomain"], spec["restartPolicy"]) == ("pi-worker-0", "pi", "Never")
    assert spec["dnsConfig"] == {"searches": ["pi.default.svc.cluster.local"]}
    container = spec["containers"][0]
    assert container["command"] == ["/usr/sbin/sshd", "-De"]
    assert env_of(container) == [("K_MPI_JOB_ROLE", "worker")]
    assert container["volumeMounts"] == [{"name": "ssh-auth", "mountPath": "/root/.ssh"}]
    items = [
        {"key": "ssh-privatekey", "path": "id_rsa"},
        {"key": "ssh-publickey", "path": "id_rsa.pub"},
        {"key": "ssh-publickey", "path": "authorized_keys"},
    ]
    assert spec["volumes"] == [
        {"name": "ssh-auth", "secret": {"secretName": "pi-ssh", "items": items, "defaultMode": 384}}
    ]


def test_ac1_launcher_job():
    job = by_kind(sync(a_job()), "Job")
    assert job["metadata"]["labels"] == {"app": "pi"}
    assert {k: v for k, v in job["spec"].items() if k != "template"} == {"podReplacementPolicy": "Failed"}
    template = job["spec"]["template"]
    assert template["metadata"]["labels"] == {
        labels.OPERATOR_NAME: "mpi-operator",
        labels.JOB_NAME: "pi",
        labels.JOB_ROLE: "launcher",
    }
    spec = template["spec"]
    assert (spec["hostname"], spec["subdomain"], spec["restartPolicy"]) == ("pi-launcher", "pi", "OnFailure")
    container = spec["containers"][0]
    assert env_of(container) == [
        ("K_MPI_JOB_ROLE", "launcher"),
        ("OMPI_MCA_orte_keep_fqdn_hostnames", "true"),
        ("OMPI_MCA_orte_default_hostfile", "/etc/mpi/hostfile"),
        ("OMPI_MCA_plm_rsh_args", "-o ConnectionAttempts=10"),
        ("OMPI_MCA_orte_set_default_slots", "1"),
        ("NVIDIA_VISIBLE_DEVICES", ""),
        ("NVIDIA_DRIVER_CAPABILITIES", ""),
    ]
    assert "command" not in container
    assert [m["name"] for m in container["volumeMounts"]] == ["ssh-auth", "mpi-job-config"]
    config = spec["volumes"][1]
    assert config == {
        "name": "mpi-job-config",
        "configMap": {
            "name": "pi-config",
            "items": [
                {"key": "hostfile", "path": "hostfile", "mode": 292},
                {"key": "discover_hosts.sh", "path": "discover_hosts.sh", "mode": 365},
            ],
        },
    }


def test_ac1_status_event_and_steady_state():
    job = a_job()
    plan = sync(job)
    assert plan.status == {
        "conditions": [
            {"type": "Created", "status": "True", "reason": "MPIJobCreated"}
            | {
                "message": "MPIJob default/pi is created.",
                "lastUpdateTime": NOW_TEXT,
                "lastTransitionTime": NOW_TEXT,
            }
        ],
        "startTime": NOW_TEXT,
        "replicaStatuses": {"Launcher": {}, "Worker": {}},
    }
    assert [(e.type, e.reason) for e in plan.events] == [("Normal", "MPIJobCreated")]
    # a second sync over what the first created writes nothing
    again = sync(a_job(status=plan.status), existing(plan))
    assert again.idle
    assert again.events == ()


@pytest.mark.parametrize(
    ("implementation", "slots", "hostfile", "launcher_env"),
    [
        pytest.param(
            "Intel",
            4,
            "hello-worker-0.hello.ml.svc:4\nhello-worker-1.hello.ml.svc:4\nhello-worker-2.hello.ml.svc:4\n",
            [
                ("FOO", "bar"),
                ("K_MPI_JOB_ROLE", "launcher"),
                ("I_MPI_HYDRA_HOST_FILE", "/etc/mpi/hostfile"),
                ("I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS", "-o ConnectionAttempts=10"),
                ("I_MPI_PERHOST", "4"),
                ("NVIDIA_VISIBLE_DEVICES", ""),
                ("NVIDIA_DRIVER_CAPABILITIES", ""),
            ],
            id="AC-2-intel",
        ),
        pytest.param(
            "MPICH",
            2,
            "hello-worker-0.hello.ml.svc:2\nhello-worker-1.hello.ml.svc:2\nhello-worker-2.hello.ml.svc:2\n",
            [
                ("FOO", "bar"),
                ("K_MPI_JOB_ROLE", "launcher"),
                ("HYDRA_HOST_FILE", "/etc/mpi/hostfile"),
                ("HYDRA_LAUNCH_EXTRA_ARGS", "-o ConnectionAttempts=10"),
                # deliberate difference: the variable MPICH's ssh launcher actually reads
                ("HYDRA_LAUNCHER_EXTRA_ARGS", "-o ConnectionAttempts=10"),
                ("NVIDIA_VISIBLE_DEVICES", ""),
                ("NVIDIA_DRIVER_CAPABILITIES", ""),
            ],
            id="AC-3-mpich",
        ),
    ],
)
def test_hostfile_and_env_per_implementation(implementation, slots, hostfile, launcher_env):
    launcher = {
        "template": {"spec": {"containers": [{"name": "l", "env": [{"name": "FOO", "value": "bar"}]}]}}
    }
    args = ["/usr/sbin/sshd", "-De", "-f", "/home/mpiuser/.sshd_config"]
    worker = {"replicas": 3, "template": {"spec": {"containers": [{"name": "w", "args": args}]}}}
    job = a_job(
        name="hello",
        namespace="ml",
        slotsPerWorker=slots,
        mpiImplementation=implementation,
        sshAuthMountPath="/home/mpiuser/.ssh",
        launcher=launcher,
        worker=worker,
        workers=None,
    )
    plan = sync(job)
    assert by_kind(plan, "ConfigMap")["data"]["hostfile"] == hostfile
    launcher_spec = by_kind(plan, "Job")["spec"]["template"]["spec"]
    assert env_of(launcher_spec["containers"][0]) == launcher_env
    pod_spec = by_kind(plan, "Pod", "hello-worker-0")["spec"]
    for spec in (launcher_spec, pod_spec):
        assert "defaultMode" not in spec["volumes"][0]["secret"]
        assert spec["containers"][0]["volumeMounts"][0] == {
            "name": "ssh-auth",
            "mountPath": "/home/mpiuser/.ssh",
        }
    assert pod_spec["containers"][0]["args"] == args
    assert "command" not in pod_spec["containers"][0]


def test_ac4_cluster_domain_in_hostfile_and_discover_script():
    job = a_job(name="a", namespace="t", workers=1)
    first = sync(job, cluster_domain="corp.internal")
    assert by_kind(first, "ConfigMap")["data"]["hostfile"] == "a-worker-0.a.t.svc.corp.internal slots=1\n"
    assert by_kind(first, "Pod")["spec"]["dnsConfig"]["searches"] == ["a.t.svc.cluster.local"]
    running = merged(existing(first), pods=[a_pod("a-worker-0", job="a", index=0)])
    second = sync(
        a_job(name="a", namespace="t", workers=1, status=first.status),
        running,
        cluster_domain="corp.internal",
    )
    [update] = [u for u in second.updates if u.kind == "ConfigMap"]
    assert update.patch["data"]["discover_hosts.sh"] == "#!/bin/sh\necho a-worker-0.a.t.svc.corp.internal\n"


def test_ac5_launcher_as_worker():
    plan = sync(a_job(name="law", runLauncherAsWorker=True))
    data = by_kind(plan, "ConfigMap")["data"]
    assert data["hostfile"] == (
        "law-launcher.law.default.svc slots=1\nlaw-worker-0.law.default.svc slots=1\n"
        "law-worker-1.law.default.svc slots=1\n"
    )
    assert data["discover_hosts.sh"] == "#!/bin/sh\necho law-launcher.law.default.svc\n"
    assert by_kind(plan, "Service")["spec"]["publishNotReadyAddresses"] is True
    template = by_kind(plan, "Job")["spec"]["template"]
    assert template["metadata"]["labels"][labels.REPLICA_INDEX] == "0"
    indexes = [
        by_kind(plan, "Pod", f"law-worker-{i}")["metadata"]["labels"][labels.REPLICA_INDEX] for i in (0, 1)
    ]
    assert indexes == ["1", "2"]
    env = env_of(template["spec"]["containers"][0])
    assert env[-1] == ("OMPI_MCA_orte_set_default_slots", "1")
    assert not any(name.startswith("NVIDIA") for name, _ in env)


def test_ac6_launcher_only_host_is_valid_and_runs():
    resources = {"requests": {"cpu": "1", "memory": "2Gi"}}
    launcher = {"template": {"spec": {"containers": [{"name": "l", "resources": resources}]}}}
    job = a_job(name="solo", workers=None, runLauncherAsWorker=True, launcher=launcher)
    plan = sync(job, gang_scheduler_name="volcano")
    assert by_kind(plan, "ConfigMap")["data"]["hostfile"] == "solo-launcher.solo.default.svc slots=1\n"
    assert [c.kind for c in plan.creates].count("Pod") == 0
    assert by_kind(plan, "PodGroup")["spec"] == {
        "minMember": 1,
        "queue": "",
        "priorityClassName": "",
        "minResources": {"cpu": "1", "memory": "2Gi"},
    }
    template = by_kind(plan, "Job")["spec"]["template"]
    assert template["spec"]["schedulerName"] == "volcano"
    assert template["metadata"]["annotations"] == {"scheduling.k8s.io/group-name": "solo"}
    launcher_pod = a_pod("solo-launcher-x", job="solo", role="launcher", owner="uid-launcher")
    running = merged(existing(plan), pods=[launcher_pod])
    after = sync(
        a_job(name="solo", workers=None, runLauncherAsWorker=True, launcher=launcher, status=plan.status),
        running,
        gang_scheduler_name="volcano",
    )
    assert after.status is not None
    running_condition = [c for c in status_of(after)["conditions"] if c["type"] == "Running"]
    assert running_condition[0]["status"] == "True"


def test_no_worker_entry_gives_empty_hostfile():
    plan = sync(a_job(workers=None))
    assert by_kind(plan, "ConfigMap")["data"]["hostfile"] == ""
    assert status_of(plan)["replicaStatuses"] == {"Launcher": {}, "Worker": {}}
