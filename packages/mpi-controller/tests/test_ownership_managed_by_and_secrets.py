"""Jobs the operator must leave alone, names it does not own, and the SSH Secret's repair rule.

Covers AC-20 (managedBy MultiKueue / other / our own value), AC-25 and the other conflicts upstream tests
(Service, Secret, launcher Job, a worker, the PodGroup: a name held by another controller blocks only what
needs it — never the launcher — with one ErrResourceExists event and a Blocked condition, our deliberate
difference from upstream's failed sync), adoption of orphans that carry the job's label, release of children
that lost it, AC-29 (a Secret with a wrong key set gets a fresh pair; a complete one
is never touched), a deleting job, and that the private key appears in no event or error.
"""

import base64
from dataclasses import replace

import pytest

from training_operator.core.engine.observed import ObjectRecord, PodRecord, ServiceRecord, Snapshot
from training_operator.mpi.testing import (
    FIXED_KEYS,
    a_job,
    a_pod,
    existing,
    merged,
    status_of,
    sync,
    with_status,
)


@pytest.mark.parametrize(
    ("managed_by", "acts"),
    [
        pytest.param("kueue.x-k8s.io/multikueue", False, id="multikueue"),
        pytest.param("example.com/other", False, id="other"),
        pytest.param("kubeflow.org/mpi-operator", True, id="ours"),
    ],
)
def test_ac20_managed_by(managed_by, acts):
    plan = sync(a_job(runPolicy={"managedBy": managed_by}))
    if acts:
        assert [c.kind for c in plan.creates] == [c.kind for c in sync(a_job()).creates]
    else:
        assert plan.idle
        assert plan.events == ()
        assert plan.metrics == ()


def test_deleting_job_is_left_to_garbage_collection():
    body = a_job().body()
    body["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    from training_operator.mpi.plugin import FRAMEWORK

    assert sync(FRAMEWORK.parse(body)).idle


FOREIGN = "ReplicaSet/other"


def _foreign(kind, name, *, owner="uid-other", controller=FOREIGN, labels=None):
    meta = {"name": name, "labels": dict(labels or {})}
    if kind == "Pod":
        return Snapshot(pods=(PodRecord(name, f"uid-{name}", owner, labels or {}, controller=controller),))
    if kind == "Service":
        return Snapshot(
            services=(ServiceRecord(name, f"uid-{name}", owner, labels or {}, controller=controller),)
        )
    api = {"Job": "batch/v1", "PodGroup": "scheduling.volcano.sh/v1beta1"}.get(kind, "v1")
    body = {"apiVersion": api, "kind": kind, "metadata": meta, "data": {}}
    return Snapshot(
        objects=(ObjectRecord(api, kind, name, f"uid-{name}", owner, body=body, controller=controller),)
    )


@pytest.mark.parametrize(
    ("kind", "name", "created", "gang"),
    [
        pytest.param("ConfigMap", "pi-config", ["Service", "Secret", "Pod", "Pod"], "", id="AC-25-configmap"),
        pytest.param("Service", "pi", ["ConfigMap", "Secret", "Pod", "Pod"], "", id="service"),
        pytest.param("Secret", "pi-ssh", ["Service", "ConfigMap"], "", id="secret-no-workers"),
        pytest.param(
            "Job", "pi-launcher", ["Service", "ConfigMap", "Secret", "Pod", "Pod"], "", id="launcher"
        ),
        pytest.param("Pod", "pi-worker-1", ["Service", "ConfigMap", "Secret", "Pod"], "", id="worker"),
        pytest.param(
            "PodGroup", "pi", ["Service", "ConfigMap", "Secret"], "volcano", id="podgroup-no-workers"
        ),
    ],
)
def test_a_name_held_by_another_controller_blocks_only_what_needs_it(kind, name, created, gang):
    plan = sync(a_job(), _foreign(kind, name), gang_scheduler_name=gang)
    assert [c.kind for c in plan.creates] == created  # never the launcher: it needs every child
    assert plan.error is None
    assert plan.claims == ()
    warnings = [e for e in plan.events if e.reason == "ErrResourceExists"]
    assert [e.type for e in warnings] == ["Warning"]
    assert warnings[0].message.startswith(
        f'Resource "{name}" of Kind "{kind}" already exists and is not managed'
    )
    assert FOREIGN in warnings[0].message
    conditions = status_of(plan)["conditions"]
    assert [(c["type"], c["status"]) for c in conditions][:1] == [("Created", "True")]
    [blocked] = [c for c in conditions if c["type"] == "Blocked"]
    assert (blocked["status"], blocked["reason"]) == ("True", "ErrResourceExists")
    assert blocked["message"] == warnings[0].message


def test_a_blocked_job_reports_once_and_goes_on_when_the_name_is_free():
    foreign = _foreign("ConfigMap", "pi-config")
    first = sync(a_job(), foreign)
    again = sync(with_status(a_job(), first), merged(existing(first), foreign))
    assert [e.reason for e in again.events if e.reason == "ErrResourceExists"] == []
    assert again.status is None  # nothing new to say: no write
    assert [c.kind for c in again.creates] == []
    freed = sync(with_status(a_job(), first), existing(first))
    assert [c.kind for c in freed.creates] == ["ConfigMap", "Job"]
    assert "Blocked" not in [c["type"] for c in status_of(freed)["conditions"]]


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        pytest.param("ConfigMap", "pi-config", id="configmap"),
        pytest.param("Secret", "pi-ssh", id="secret"),
        pytest.param("Job", "pi-launcher", id="launcher"),
        pytest.param("Service", "pi", id="service"),
    ],
)
def test_an_orphan_with_the_jobs_label_is_adopted_with_its_uid(kind, name):
    orphan = _foreign(kind, name, owner="", controller="", labels={"app": "pi"})
    plan = sync(a_job(), orphan)
    [adopt] = plan.claims
    assert (adopt.kind, adopt.name, adopt.uid) == (kind, name, f"uid-{name}")
    assert adopt.owner["uid"] == "uid-mpijob"
    assert adopt.owner["controller"] is True
    assert kind not in [c.kind for c in plan.creates]
    assert not [e for e in plan.events if e.reason == "ErrResourceExists"]


def test_an_orphan_worker_with_the_jobs_labels_is_adopted_and_counted():
    orphan = a_pod("pi-worker-0", index=0, owner="")
    plan = sync(a_job(), Snapshot(pods=(orphan,)))
    assert [(c.kind, c.name) for c in plan.claims] == [("Pod", "pi-worker-0")]
    assert [c.name for c in plan.creates if c.kind == "Pod"] == ["pi-worker-1"]
    assert status_of(plan)["replicaStatuses"]["Worker"] == {"active": 1}


def test_an_orphan_without_the_jobs_label_is_not_adopted():
    orphan = _foreign("ConfigMap", "pi-config", owner="", controller="", labels={"app": "someone"})
    plan = sync(a_job(), orphan)
    assert plan.claims == ()
    [warning] = [e for e in plan.events if e.reason == "ErrResourceExists"]
    assert "no controller; its labels do not match the job" in warning.message


def test_an_owned_child_that_lost_the_jobs_label_is_released():
    first = sync(a_job())
    cm = next(o for o in existing(first).objects if o.kind == "ConfigMap")
    relabelled = replace(cm, body={**cm.body, "metadata": {**cm.body["metadata"], "labels": {"app": "x"}}})
    plan = sync(with_status(a_job(), first), merged(existing(first), objects=[relabelled]))
    [release] = plan.claims
    assert (type(release).__name__, release.kind, release.name, release.owner_uid) == (
        "Release",
        "ConfigMap",
        "pi-config",
        "uid-mpijob",
    )
    assert plan.updates == ()  # a child being let go is not written to


@pytest.mark.parametrize(
    ("keys", "updated"),
    [
        pytest.param({"ssh-privatekey": ""}, True, id="AC-29-missing-public"),
        pytest.param({"ssh-privatekey": "", "ssh-publickey": "", "extra": ""}, True, id="extra-key"),
        pytest.param({"ssh-privatekey": "bogus", "ssh-publickey": "bogus"}, False, id="AC-29-complete"),
    ],
)
def test_ac29_secret_with_wrong_keys_gets_a_new_pair(keys, updated):
    first = sync(a_job())
    meta = {"name": "pi-ssh", "labels": {"app": "pi"}}
    secret = ObjectRecord(
        "v1", "Secret", "pi-ssh", "uid-s", "uid-mpijob", body={"metadata": meta, "data": keys}
    )
    plan = sync(a_job(status=first.status), merged(existing(first), objects=[secret]))
    secret_updates = [u for u in plan.updates if u.kind == "Secret"]
    if not updated:
        assert secret_updates == []
        return
    [update] = secret_updates
    data = update.patch["data"]
    assert base64.b64decode(data["ssh-privatekey"]) == FIXED_KEYS[0]
    assert base64.b64decode(data["ssh-publickey"]) == FIXED_KEYS[1]
    assert all(v is None for k, v in data.items() if k not in ("ssh-privatekey", "ssh-publickey"))


def test_private_key_never_leaves_the_secret():
    plan = sync(a_job())
    encoded = base64.b64encode(FIXED_KEYS[0]).decode()
    texts = [e.message for e in plan.events] + [str(plan.status), str(plan.error)]
    assert not any(encoded in t or "PRIVATE KEY" in t for t in texts)
