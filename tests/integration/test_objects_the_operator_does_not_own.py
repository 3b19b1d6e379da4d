"""The issue's scenario on the local API server, which now answers claims as a real one does:

* a TFJob `tfo` (2 workers) created where a Service `tfo-worker-0` with the job's labels but no owner
  already exists: the Service is adopted (controller reference to `tfo`), `tfo-worker-1` is created, both
  pods are created, and `Created` is written — nothing is left blocked;
* an MPIJob `mpo` whose ConfigMap name `mpo-config` is taken by a foreign ConfigMap: the job is Created and
  Blocked (naming the ConfigMap), one Warning `ErrResourceExists` event says so, the Service, Secret and
  workers are made but no launcher; the operator creates `mpo-config` once, then only re-reads it with
  back-off; once the foreign ConfigMap is deleted, the job gets its ConfigMap and launcher and is no longer
  Blocked.
"""

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]
NS = "/api/v1/namespaces/default"
MPIJOBS = "/apis/kubeflow.org/v2beta1/namespaces/default/mpijobs"
JOBS = "/apis/batch/v1/namespaces/default/jobs"
TF_LABELS = {
    "training.kubeflow.org/operator-name": "tfjob-controller",
    "training.kubeflow.org/job-name": "tfo",
    "training.kubeflow.org/replica-type": "worker",
    "training.kubeflow.org/replica-index": "0",
}


def mpijob(name):
    container = {"name": "mpi", "image": "local", "command": ["true"]}
    return {
        "apiVersion": "kubeflow.org/v2beta1",
        "kind": "MPIJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "mpiReplicaSpecs": {
                "Launcher": {"replicas": 1, "template": {"spec": {"containers": [container]}}},
                "Worker": {"replicas": 2, "template": {"spec": {"containers": [container]}}},
            }
        },
    }


async def _get(api, path):
    try:
        return await api.request("GET", path)
    except Exception:
        return None


def _conditions(body):
    return {c["type"]: c for c in ((body or {}).get("status") or {}).get("conditions") or []}


async def test_an_orphan_service_with_the_jobs_labels_is_adopted(api, operator, kit):
    orphan = {"metadata": {"name": "tfo-worker-0", "labels": TF_LABELS}, "spec": {"clusterIP": "None"}}
    orphan_uid = (await api.request("POST", f"{NS}/services", body=orphan))["metadata"]["uid"]
    await operator.start()
    job = await api.request("POST", kit.TFJOBS, body=kit.tfjob("tfo", workers=2))

    async def adopted():
        service = await _get(api, f"{NS}/services/tfo-worker-0")
        refs = (service or {}).get("metadata", {}).get("ownerReferences") or []
        return [(r["kind"], r["name"], r["uid"], r.get("controller")) for r in refs] == [
            ("TFJob", "tfo", job["metadata"]["uid"], True)
        ]

    await kit.eventually(adopted, what="tfo-worker-0 adopted by tfo")
    await kit.eventually(lambda: _get(api, f"{NS}/services/tfo-worker-1"), what="tfo-worker-1 created")
    await kit.eventually(lambda: _has(kit, api, ["tfo-worker-0", "tfo-worker-1"]), what="both pods")
    service = await api.request("GET", f"{NS}/services/tfo-worker-0")
    assert service["metadata"]["uid"] == orphan_uid  # claimed, not replaced
    conditions = _conditions(await kit.job(api, "tfo"))
    assert "Created" in conditions
    assert "Blocked" not in conditions
    counts = (await api.request("GET", "/debug/requests"))["requests"]
    assert counts.get("create services", 0) <= 3  # ours: the orphan (once) and tfo-worker-1, not a loop


async def _has(kit, api, names):
    return sorted(await kit.pods(api)) == names


async def test_a_foreign_config_map_blocks_only_the_launcher_and_is_reported_once(api, operator, kit):
    await api.request(
        "POST", f"{NS}/configmaps", body={"metadata": {"name": "mpo-config"}, "data": {"a": "b"}}
    )
    operator.schemes = ("mpijob",)
    await operator.start()
    await api.request("DELETE", "/debug/requests")
    await api.request("POST", MPIJOBS, body=mpijob("mpo"))

    async def blocked():
        return _conditions(await _get(api, f"{MPIJOBS}/mpo")).get("Blocked")

    condition = await kit.eventually(blocked, what="mpo Blocked")
    assert "Created" in _conditions(await api.request("GET", f"{MPIJOBS}/mpo"))
    assert condition["reason"] == "ErrResourceExists"
    assert 'Resource "mpo-config" of Kind "ConfigMap" already exists' in condition["message"]
    await kit.eventually(lambda: _has(kit, api, ["mpo-worker-0", "mpo-worker-1"]), what="the workers")
    assert await _get(api, f"{NS}/secrets/mpo-ssh") is not None
    assert await _get(api, f"{NS}/services/mpo") is not None

    async def reread():
        counts = (await api.request("GET", "/debug/requests"))["requests"]
        return counts.get("get configmaps", 0) >= 2  # the 409's GET, then one re-read (after 2 s)

    await kit.eventually(reread, what="the blocking ConfigMap re-read")
    counts = (await api.request("GET", "/debug/requests"))["requests"]
    assert counts.get("create configmaps", 0) == 1  # upstream: one failing create per reconcile, forever
    assert counts.get("create jobs", 0) == 0

    async def warnings():  # events are written in the background, after the condition
        events = await api.request("GET", f"{NS}/events")
        return [e for e in events["items"] if e["reason"] == "ErrResourceExists"]

    await kit.eventually(warnings, what="the ErrResourceExists event")
    warnings = await warnings()
    assert [(e["type"], e.get("count", 1)) for e in warnings] == [("Warning", 1)]
    assert "mpo-config" in warnings[0]["message"]

    await api.request("DELETE", f"{NS}/configmaps/mpo-config")

    async def unblocked():
        body = await _get(api, f"{MPIJOBS}/mpo")
        config = await _get(api, f"{NS}/configmaps/mpo-config")
        owners = ((config or {}).get("metadata") or {}).get("ownerReferences") or []
        launcher = await _get(api, f"{JOBS}/mpo-launcher")
        return "Blocked" not in _conditions(body) and [o["kind"] for o in owners] == ["MPIJob"] and launcher

    await kit.eventually(unblocked, within=30, what="mpo's own ConfigMap and launcher")
