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
