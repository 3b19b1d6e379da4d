"""What stands in for an image on the local node: the command resolves in the Python environment
training-operator runs from (its bin directory first on PATH, activated or not), and a pod without
`workingDir` can be pointed at the folder holding its scripts with the working-dir annotation (what an
image's WORKDIR does on a cluster); an explicit `workingDir` still wins."""

import json
import os
import sys

PODS = "/api/v1/namespaces/default/pods"
ANNOTATION = "local.training-operator.io/working-dir"
PROBE = "import json, os, sys; print(json.dumps({'cwd': os.getcwd(), 'prefix': sys.prefix}))"


def run_probe(api, wait, make_pod, name, tmp_path, *, annotate, working_dir=None):
    pod = make_pod(name, ["python3", "-c", PROBE], restartPolicy="Never")
    if annotate:
        pod["metadata"]["annotations"] = {ANNOTATION: str(tmp_path)}
    if working_dir:
        pod["spec"]["containers"][0]["workingDir"] = working_dir
    api.post(PODS, pod)
    wait(lambda: (api.get(f"{PODS}/{name}")[1].get("status") or {}).get("phase") in ("Succeeded", "Failed"))
    status, text = api.get(f"{PODS}/{name}/log")
    assert status == 200, text
    return text if isinstance(text, dict) else json.loads(text)


def test_python3_is_the_interpreter_training_operator_runs_in(api, wait, make_pod, tmp_path):
    seen = run_probe(api, wait, make_pod, "which-python", tmp_path, annotate=False)
    assert os.path.realpath(seen["prefix"]) == os.path.realpath(sys.prefix)


def test_annotation_sets_the_default_working_directory(api, wait, make_pod, tmp_path):
    assert run_probe(api, wait, make_pod, "annotated", tmp_path, annotate=True)["cwd"] == str(tmp_path)


def test_explicit_working_dir_wins_over_the_annotation(api, wait, make_pod, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    seen = run_probe(api, wait, make_pod, "explicit", tmp_path, annotate=True, working_dir=str(other))
    assert seen["cwd"] == str(other)


def test_the_annotation_is_found_up_the_ownership_chain(api, wait, tmp_path):
    # kubectl and the SDK annotate the job, not its pod templates: pod → batch Job → owner, as an MPIJob's
    # launcher pod is owned by its launcher Job, which the MPIJob owns
    owner = {"metadata": {"name": "owner", "annotations": {ANNOTATION: str(tmp_path)}}, "data": {}}
    uid = api.post("/api/v1/namespaces/default/configmaps", owner)[1]["metadata"]["uid"]
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": uid, "controller": True}
    container = {"name": "main", "image": "local", "command": ["python3", "-c", PROBE]}
    job = {
        "metadata": {"name": "chained", "ownerReferences": [ref]},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [container]}}},
    }
    assert api.post("/apis/batch/v1/namespaces/default/jobs", job)[0] == 201

    def finished_pod():
        pods = api.get(PODS, labelSelector="job-name=chained")[1]["items"]
        done = [p for p in pods if (p.get("status") or {}).get("phase") in ("Succeeded", "Failed")]
        return done[0]["metadata"]["name"] if done else None

    name = wait(finished_pod, message="the Job's pod finished")
    status, text = api.get(f"{PODS}/{name}/log")
    assert status == 200, text
    assert (text if isinstance(text, dict) else json.loads(text))["cwd"] == str(tmp_path)
