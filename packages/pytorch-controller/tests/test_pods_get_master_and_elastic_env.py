"""The env and init container of each PyTorchJob pod (frameworks.md §2.5–§2.7; PT-1, PT-2, PT-4, PT-5, PT-7;
PT-3, the custom master port, is covered through the planner in
test_ports_roles_and_failures_through_the_planner.py).

Covers: MASTER_*/PET_MASTER_*, WORLD_SIZE, RANK and PET_NODE_RANK per replica, nprocPerNode as an integer and
as `gpu`, worker-only jobs (no MASTER_*), elastic jobs' PET_* rendezvous variables, the user's own env kept in
front, the init container that waits for the master's name, and the fixed PET_STANDALONE (set only when
standalone is true, with a value).
"""

import pytest

PT = {"spec": {"containers": [{"name": "pytorch", "image": "pt:1"}]}}


def a_pytorchjob(name, namespace="default", **spec):
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def env_of(pod, container=0):
    return [(e["name"], e.get("value")) for e in pod["spec"]["containers"][container].get("env", [])]


PT1 = a_pytorchjob(
    "pytorch-simple",
    "kubeflow",
    pytorchReplicaSpecs={
        "Master": {"replicas": 1, "template": PT},
        "Worker": {"replicas": 1, "template": PT},
    },
)


def pt1_env(rank):
    return [
        ("PYTHONUNBUFFERED", "1"),
        ("MASTER_PORT", "23456"),
        ("PET_MASTER_PORT", "23456"),
        ("MASTER_ADDR", "pytorch-simple-master-0"),
        ("PET_MASTER_ADDR", "pytorch-simple-master-0"),
        ("WORLD_SIZE", "2"),
        ("RANK", str(rank)),
        ("PET_NODE_RANK", str(rank)),
        ("PET_NPROC_PER_NODE", "auto"),
        ("PET_NNODES", "2"),
    ]


@pytest.mark.parametrize(
    ("replica_type", "rank"), [pytest.param("Master", 0, id="master"), pytest.param("Worker", 1, id="worker")]
)
def test_pt1_master_and_worker_env(pod_of, replica_type, rank):
    assert env_of(pod_of(PT1, replica_type, 0)) == pt1_env(rank)


def test_pt1_only_workers_wait_for_the_master(pod_of):
    assert "initContainers" not in pod_of(PT1, "Master", 0)["spec"]
    (init,) = pod_of(PT1, "Worker", 0)["spec"]["initContainers"]
    assert init["name"] == "init-pytorch"
    assert init["image"] == "alpine:3.10"
    assert init["imagePullPolicy"] == "IfNotPresent"
    assert init["resources"] == {
        "limits": {"cpu": "100m", "memory": "20Mi"},
        "requests": {"cpu": "50m", "memory": "10Mi"},
    }
    assert init["command"] == [
        "sh",
        "-c",
        "err=1;for i in $(seq 100); do if nslookup pytorch-simple-master-0; then err=0 && break; fi;"
        "echo waiting for master; sleep 2; done; exit $err",
    ]


@pytest.mark.parametrize(
    ("nproc", "expected"),
    [
        pytest.param(
            "2",
            {
                "WORLD_SIZE": "6",
                "RANK": "2",
                "PET_NODE_RANK": "2",
                "PET_NPROC_PER_NODE": "2",
                "PET_NNODES": "3",
            },
            id="integer",
        ),
        pytest.param("gpu", {"WORLD_SIZE": "3", "PET_NPROC_PER_NODE": "gpu"}, id="gpu"),
    ],
)
def test_pt2_nproc_per_node(pod_of, nproc, expected):
    body = a_pytorchjob(
        "tr",
        nprocPerNode=nproc,
        pytorchReplicaSpecs={
            "Master": {"replicas": 1, "template": PT},
            "Worker": {"replicas": 2, "template": PT},
        },
    )
    env = dict(env_of(pod_of(body, "Worker", 1)))
    assert {key: env[key] for key in expected} == expected


def test_pt4_elastic_worker_only_env(pod_of):
    template = {
        "spec": {
            "containers": [
                {"name": "pytorch", "image": "echo:1", "env": [{"name": "LOGLEVEL", "value": "DEBUG"}]}
            ]
        }
    }
    body = a_pytorchjob(
        "elastic-example-echo",
        elasticPolicy={"rdzvBackend": "c10d", "minReplicas": 1, "maxReplicas": 2, "maxRestarts": 100},
        pytorchReplicaSpecs={"Worker": {"replicas": 2, "template": template}},
    )
    for index in (0, 1):
        pod = pod_of(body, "Worker", index)
        assert env_of(pod) == [
            ("LOGLEVEL", "DEBUG"),
            ("PYTHONUNBUFFERED", "1"),
            ("PET_NPROC_PER_NODE", "auto"),
            ("PET_RDZV_ENDPOINT", "elastic-example-echo-worker-0:23456"),
            ("PET_RDZV_BACKEND", "c10d"),
            ("PET_NNODES", "1:2"),
            ("PET_MAX_RESTARTS", "100"),
        ]
        assert "initContainers" not in pod["spec"]


def elastic_pt5(standalone):
    return a_pytorchjob(
        "el",
        elasticPolicy={
            "rdzvBackend": "etcd-v2",
            "rdzvHost": "etcd-client",
            "rdzvPort": 2379,
            "rdzvId": "job-42",
            "rdzvConf": [{"key": "timeout", "value": "900"}, {"key": "last_call_timeout", "value": "30"}],
            "standalone": standalone,
            "nProcPerNode": 4,
            "maxReplicas": 4,
            "maxRestarts": 3,
        },
        pytorchReplicaSpecs={"Worker": {"replicas": 2, "template": PT}},
    )


def test_pt5_every_rendezvous_option(pod_of):
    env = env_of(pod_of(elastic_pt5(False), "Worker", 0))
    assert env == [
        ("PYTHONUNBUFFERED", "1"),
        ("PET_RDZV_ENDPOINT", "etcd-client:2379"),
        ("PET_RDZV_BACKEND", "etcd-v2"),
        ("PET_NNODES", "4:4"),
        ("PET_MAX_RESTARTS", "3"),
        ("PET_NPROC_PER_NODE", "4"),
        ("PET_RDZV_ID", "job-42"),
        ("PET_RDZV_CONF", "timeout=900,last_call_timeout=30"),
    ]


def test_pt5_standalone_is_a_real_flag_value(pod_of):
    # upstream writes PET_STANDALONE="", which torchrun cannot parse (bool(int(""))): we write "1"
    env = dict(env_of(pod_of(elastic_pt5(True), "Worker", 0)))
    assert env["PET_STANDALONE"] == "1"
    assert bool(int(env["PET_STANDALONE"])) is True


def test_pt7_worker_only_not_elastic(pod_of):
    body = a_pytorchjob("ddp", pytorchReplicaSpecs={"Worker": {"replicas": 3, "template": PT}})
    for index in range(3):
        pod = pod_of(body, "Worker", index)
        assert env_of(pod) == [("PYTHONUNBUFFERED", "1"), ("PET_NPROC_PER_NODE", "auto"), ("PET_NNODES", "3")]
        assert "initContainers" not in pod["spec"]
