"""What each cell of the install matrix must do, seen as a user would: through the installed commands.

An operator cell starts its own `training-operator run` (webhooks on, as in the image) watching one
namespace, submits one job of each installed kind with its own CLI, waits for `Created`, and finds in the
cluster exactly the objects its own `training-operator render` predicts. A kind that is not installed is
refused, by `render`, `run --enable-scheme` and `local run`, with the pip extra to install. A library cell
has no operator stack at all, imports every module it has, and runs its README's snippet verbatim.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cluster import Cluster
from venvs import ROOT, run

from training_operator.unified.testing import free_port

JOBS = Path(__file__).resolve().parent / "jobs"
FRAMEWORKS = {
    "tf": "tfjob",
    "pytorch": "pytorchjob",
    "mxnet": "mxjob",
    "xgboost": "xgboostjob",
    "mpi": "mpijob",
    "paddle": "paddlejob",
    "jax": "jaxjob",
}
#: import names a single controller must not bring along
OPERATOR_STACK = ["kopf", "kubernetes", "aiohttp", "prometheus_client", "training_operator.unified"]
PATIENCE = 90.0


@dataclass(frozen=True)
class Cell:
    """One install: its pip extras, and how it is installed (`uv` from the wheels, `image`, `library`)."""

    extras: tuple[str, ...]
    installer: str = "uv"

    @property
    def name(self) -> str:
        extras = ",".join(self.extras) or "none"
        return extras if self.installer == "uv" else f"{self.installer}:{extras}"

    @property
    def frameworks(self) -> list[str]:
        """The framework extras this install has."""
        if "all" in self.extras:
            return list(FRAMEWORKS)
        return [extra for extra in self.extras if extra in FRAMEWORKS]

    @property
    def has_local(self) -> bool:
        return self.installer == "uv" and ("local" in self.extras or "all" in self.extras)

    @property
    def namespace(self) -> str:
        return "cell-" + re.sub(r"[^a-z0-9]+", "-", self.name)


def job_in(namespace: str, extra: str, folder: Path) -> tuple[Path, dict[str, Any]]:
    """The matrix's job of this framework, placed in the cell's namespace."""
    body = yaml.safe_load((JOBS / f"{FRAMEWORKS[extra]}.yaml").read_text())
    body["metadata"]["namespace"] = namespace
    path = folder / f"{FRAMEWORKS[extra]}.yaml"
    path.write_text(yaml.safe_dump(body))
    return path, body


def check_operator(cell: Cell, venv: Path, cluster: Cluster, work: Path) -> str:
    """Run the cell's operator; returns a one-line account of what was checked."""
    cluster.create_namespace(cell.namespace)
    operator = Operator(venv, cluster.kubeconfig, cell.namespace, work)
    operator.start()
    try:
        operator.wait_ready()
        for extra in cell.frameworks:
            reconcile_one(venv, cluster, cell.namespace, extra, work)
    finally:
        operator.stop()
    missing = [extra for extra in FRAMEWORKS if extra not in cell.frameworks]
    refused(cell, venv, cluster, missing, work)
    created = ", ".join(FRAMEWORKS[e] for e in cell.frameworks) or "no kind"
    refusals = ", ".join(FRAMEWORKS[e] for e in missing) or "none"
    return f"operator ready; {created} Created with their objects; refused: {refusals}"


class Operator:
    """`training-operator run` of one venv, as the image runs it: webhooks and certificates on."""

    def __init__(self, venv: Path, kubeconfig: Path, namespace: str, work: Path) -> None:
        self.venv, self.kubeconfig, self.namespace, self.work = venv, kubeconfig, namespace, work
        self.log = work / "operator.log"
        self.health = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            str(self.venv / "bin" / "training-operator"),
            "run",
            f"--kubeconfig={self.kubeconfig}",
            f"--namespace={self.namespace}",
            "--metrics-bind-address=127.0.0.1:0",
            f"--health-probe-bind-address=127.0.0.1:{self.health}",
            f"--webhook-server-port={free_port()}",
            f"--webhook-cert-dir={self.work / 'certs'}",
        ]
        # as bare as a container's: no KUBECONFIG, no HOME of ours, only the flags say where the cluster is
        environment = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.work),
            "MY_POD_NAMESPACE": self.namespace,
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out, env=environment)

    def wait_ready(self) -> None:
        """/readyz answers 200: certificates written, webhook server and controllers up."""
        deadline = time.monotonic() + PATIENCE
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the operator exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.health}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"the operator was not ready within {PATIENCE:.0f}s:\n{self.tail()}")

    def stop(self) -> None:
        """SIGTERM: the operator must exit 0 and never have logged a traceback."""
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise AssertionError(f"the operator died early ({code}):\n{self.tail()}")
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the operator ignored SIGTERM:\n{self.tail()}") from None
        text = self.log.read_text(errors="replace")
        if code != 0 or "Traceback" in text:
            raise AssertionError(f"the operator exited {code}:\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])


def reconcile_one(venv: Path, cluster: Cluster, namespace: str, extra: str, work: Path) -> None:
    """Submit with the cell's CLI, wait for Created, compare the cluster with the cell's `render`."""
    cli = str(venv / "bin" / "training-operator")
    path, body = job_in(namespace, extra, work)
    kind, name = body["kind"], body["metadata"]["name"]
    connection = ["-n", namespace, f"--kubeconfig={cluster.kubeconfig}"]
    log = work / "commands.log"
    run([cli, "submit", str(path), *connection], log=log, timeout=60)
    wait = [cli, "wait", kind, name, "--for", "Created", "--timeout", f"{PATIENCE:.0f}s", *connection]
    run(wait, log=log, timeout=PATIENCE + 30)
    predicted = [o for o in yaml.safe_load_all(run([cli, "render", str(path)], log=log, timeout=60)) if o]
    assert predicted, f"render printed nothing for {kind}"
    for expected in predicted:
        found = cluster.read(expected["kind"], namespace, expected["metadata"]["name"])
        what = f"{kind} {name}: {expected['kind']} {expected['metadata']['name']}"
        assert found is not None, f"{what} was not created"
        if expected["kind"] == "Pod":
            assert_same_pod(what, expected, found)


def assert_same_pod(what: str, expected: dict[str, Any], found: dict[str, Any]) -> None:
    """The pod the operator created carries render's labels, containers, commands and env."""
    labels = found["metadata"].get("labels") or {}
    assert expected["metadata"]["labels"].items() <= labels.items(), f"{what}: labels {labels}"
    for section in ("initContainers", "containers"):
        want = [(c["name"], c.get("command"), c.get("env")) for c in expected["spec"].get(section) or []]
        have = [(c["name"], c.get("command"), c.get("env")) for c in found["spec"].get(section) or []]
        assert want == have, f"{what}: {section} differ from render's:\n{want}\n{have}"


def refused(cell: Cell, venv: Path, cluster: Cluster, missing: list[str], work: Path) -> None:
    """Every way to use a kind that is not installed names the extra that adds it: `render` and, where the
    cell hosts the cluster, `local run` for each kind; `run --enable-scheme` for all of them at once."""
    cli = str(venv / "bin" / "training-operator")
    for extra in missing:
        path, _ = job_in(cell.namespace, extra, work)
        hint = f"pip install 'training-operator[{extra}]'"
        expect_refusal([cli, "render", str(path)], 1, hint, work)
        if cell.has_local:  # `local run` finds the cluster this venv hosts through its state dir
            # 2: `local run` refuses a job file before anything runs (1 would mean the job ran and Failed)
            expect_refusal(
                [cli, "local", "run", f"--state-dir={cluster.state_dir}", str(path)], 2, hint, work
            )
    if missing:
        schemes = [f"--enable-scheme={FRAMEWORKS[extra]}" for extra in missing]
        hint = f"pip install 'training-operator[{','.join(sorted(missing))}]'"
        expect_refusal([cli, "run", f"--kubeconfig={cluster.kubeconfig}", *schemes], 2, hint, work)
    if not cell.has_local:
        job = JOBS / "tfjob.yaml"
        expect_refusal([cli, "local", "run", str(job)], 3, "pip install 'training-operator[local]'", work)


def expect_refusal(command: list[str], code: int, text: str, work: Path) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=work)
    shown = f"$ {' '.join(command)}\n{done.stdout}{done.stderr}"
    (work / "commands.log").open("a").write(shown)
    assert done.returncode == code, f"expected exit {code}, got {done.returncode}:\n{shown}"
    assert text in done.stderr, f"the refusal does not say {text!r}:\n{shown}"
    assert "Traceback" not in done.stderr, f"a traceback instead of a message:\n{shown}"


#: appended to a README snippet: its `job` and `rendered` as JSON, to compare with `training-operator render`
DUMP = """
import json as _json, sys as _sys
_json.dump({"job": job, "objects": list(rendered.objects)}, open(_sys.argv[1], "w"))
"""


def check_library(cell: Cell, venv: Path, renderer: Path, work: Path, skip: list[str]) -> str:
    """A single controller: no operator stack, every module imports, the README snippet runs as shown."""
    (extra,) = cell.extras
    python = str(venv / "bin" / "python")
    log = work / "commands.log"
    probe = [python, str(Path(__file__).with_name("library_probe.py")), "--absent", *OPERATOR_STACK]
    imported = run([*probe, "--skip", *skip], log=log, timeout=120).strip()
    code, shown = readme_snippet(ROOT / "packages" / f"{extra}-controller" / "README.md")
    snippet = work / "snippet.py"
    snippet.write_text(code)
    printed = run([python, str(snippet)], log=log, timeout=120)
    assert printed == shown, f"the README snippet printed\n{printed}\ninstead of\n{shown}"
    snippet.write_text(code + DUMP)
    run([python, str(snippet), str(work / "rendered.json")], log=log, timeout=120)
    assert_render_agrees(json.loads((work / "rendered.json").read_text()), renderer, work)
    return f"no operator stack; {imported}; README snippet prints what it shows; same objects as render"


def assert_render_agrees(result: dict[str, Any], renderer: Path, work: Path) -> None:
    """The snippet's objects are those `training-operator render` prints for its job."""
    job = work / "snippet-job.yaml"
    job.write_text(yaml.safe_dump(result["job"]))
    command = [str(renderer / "bin" / "training-operator"), "render", str(job)]
    expected = [o for o in yaml.safe_load_all(run(command, log=work / "commands.log", timeout=60)) if o]
    assert without_keys(result["objects"]) == without_keys(expected), (
        "the snippet's objects differ from render's"
    )


def readme_snippet(readme: Path) -> tuple[str, str]:
    """The README's Python snippet and the output it shows (the `text` block after "prints")."""
    found = re.search(r"```python\n(.*?)```\s*\nprints\s*\n\s*```text\n(.*?)```", readme.read_text(), re.S)
    assert found, f"{readme}: no ```python snippet followed by 'prints' and a ```text block"
    return found.group(1), found.group(2)


def without_keys(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Objects with Secret data removed: each render makes a fresh SSH key pair (MPIJob)."""
    return [{k: v for k, v in o.items() if not (o.get("kind") == "Secret" and k == "data")} for o in objects]
