"""Object metadata: uid, creationTimestamp, one global strictly increasing resourceVersion, generateName,
generation bumped on spec changes only (never by status writes), status subresource split, immutable
fields."""

PODS = "/api/v1/namespaces/default/pods"
JOBS = "/apis/batch/v1/namespaces/default/jobs"


def a_job(name: str) -> dict:
    return {
        "metadata": {"name": name},
        "spec": {
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "x"}]}},
            "suspend": True,
        },
    }


def test_create_fills_metadata_and_versions_increase(api):
    rvs = []
    for index in range(3):
        status, obj = api.post(
            "/api/v1/namespaces/default/configmaps", {"metadata": {"name": f"c{index}"}, "data": {"a": "1"}}
        )
        assert status == 201
        meta = obj["metadata"]
        assert meta["uid"]
        assert meta["creationTimestamp"].endswith("Z")
        rvs.append(int(meta["resourceVersion"]))
    assert rvs == sorted(rvs)
    assert len(set(rvs)) == 3
    _status, listed = api.get("/api/v1/namespaces/default/configmaps")
    assert int(listed["metadata"]["resourceVersion"]) >= rvs[-1]


def test_generate_name_appends_five_characters(api):
    status, obj = api.post("/api/v1/namespaces/default/configmaps", {"metadata": {"generateName": "gen-"}})
    assert status == 201
    name = obj["metadata"]["name"]
    assert name.startswith("gen-")
    assert len(name) == len("gen-") + 5


def test_generation_bumps_on_spec_change_not_on_status(api):
    _status, job = api.post(JOBS, a_job("gen"))
    assert job["metadata"]["generation"] == 1
    _status, patched = api.patch(f"{JOBS}/gen", {"spec": {"backoffLimit": 2}})
    assert patched["metadata"]["generation"] == 2
    _status, status_write = api.patch(f"{JOBS}/gen/status", {"status": {"active": 3}})
    assert status_write["metadata"]["generation"] == 2
    assert status_write["status"]["active"] == 3
    _status, labelled = api.patch(f"{JOBS}/gen", {"metadata": {"labels": {"a": "b"}}})
    assert labelled["metadata"]["generation"] == 2


def test_status_subresource_split(api):
    api.post(JOBS, a_job("split"))
    # A main-resource write ignores .status ...
    _status, main = api.patch(f"{JOBS}/split", {"status": {"active": 7}, "spec": {"backoffLimit": 1}})
    assert main["spec"]["backoffLimit"] == 1
    assert main["status"].get("active") != 7
    # ... and a /status write ignores everything but .status.
    _status, status_write = api.patch(
        f"{JOBS}/split/status",
        {"status": {"failed": 1}, "spec": {"backoffLimit": 5}, "metadata": {"labels": {"x": "y"}}},
    )
    assert status_write["spec"]["backoffLimit"] == 1
    assert "x" not in (status_write["metadata"].get("labels") or {})
    assert status_write["status"]["failed"] == 1


def test_create_ignores_status_and_immutable_fields_survive_update(api):
    status, job = api.post(JOBS, {**a_job("imm"), "status": {"succeeded": 9}})
    assert status == 201
    assert job.get("status", {}).get("succeeded") is None
    _status, job = api.get(f"{JOBS}/imm")  # the Job controller may have written status meanwhile
    body = {**job, "metadata": {**job["metadata"], "creationTimestamp": "2000-01-01T00:00:00Z"}}
    body["metadata"].pop("uid")
    status, updated = api.put(f"{JOBS}/imm", body)
    assert status == 200
    assert updated["metadata"]["uid"] == job["metadata"]["uid"]
    assert updated["metadata"]["creationTimestamp"] == job["metadata"]["creationTimestamp"]
    # a uid is a precondition, as on a real server: another one means the object was replaced
    status, refused = api.put(
        f"{JOBS}/imm", {**updated, "metadata": {**updated["metadata"], "uid": "forged"}}
    )
    assert status == 409, refused


def test_noop_update_keeps_resource_version(api):
    _status, cm = api.post(
        "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "same"}, "data": {"a": "1"}}
    )
    _status, again = api.put("/api/v1/namespaces/default/configmaps/same", cm)
    assert again["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]


def test_objects_in_missing_namespace_are_not_found(api):
    status, body = api.post("/api/v1/namespaces/nope/configmaps", {"metadata": {"name": "x"}})
    assert status == 404
    assert body["details"]["kind"] == "namespaces"


def test_cluster_scoped_and_namespaced_paths(api):
    assert api.get("/api/v1/namespaces/default")[0] == 200
    assert api.get("/api/v1/namespaces/default/namespaces/default")[0] == 404
    status, all_pods = api.get("/api/v1/pods")
    assert status == 200
    assert all_pods["kind"] == "PodList"
