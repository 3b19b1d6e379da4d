"""Jobs the operator must leave alone, names it does not own, and the SSH Secret's repair rule.

Covers AC-20 (managedBy MultiKueue / other / our own value), AC-25 (a foreign ConfigMap blocks the sync with
ErrResourceExists after the Service), AC-29 (a Secret with a wrong key set gets a fresh pair; a complete one
is never touched), a deleting job, and that the private key appears in no event or error.
"""

import base64

import pytest

from training_operator.core.engine.observed import ObjectRecord, Snapshot
from training_operator.mpi.testing import FIXED_KEYS, a_job, existing, merged, sync


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


def test_ac25_foreign_config_map_blocks_the_sync():
    foreign = ObjectRecord("v1", "ConfigMap", "pi-config", "uid-x", owner_uid="", body={"data": {}})
    plan = sync(a_job(), Snapshot(objects=(foreign,)))
    assert [c.kind for c in plan.creates] == ["Service"]
    [event] = plan.events[-1:]
    assert (event.type, event.reason) == ("Warning", "ErrResourceExists")
    assert event.message.startswith(
        'Resource "pi-config" of Kind "ConfigMap" already exists and is not managed'
    )
    assert plan.error is not None
    assert plan.status is None


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
    secret = ObjectRecord("v1", "Secret", "pi-ssh", "uid-s", "uid-mpijob", body={"data": keys})
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
