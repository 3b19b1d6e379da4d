"""How fast the CLI and the operator start, as multiples of a bare interpreter start measured in the same run.

    python bench/cli_startup.py [--runs 5] [--json]

Each figure is the best wall time of `--runs` fresh processes (the least disturbed by other work on a shared
machine; `--json` adds the medians), after one warm-up run, with bytecode caching on as in an installed
package (PYTHONDONTWRITEBYTECODE is dropped). Load moves every figure together, so the ratio to
`python -c pass` (and the time added to it) is what to compare between runs:

- `--help`, `version` without a server, and `render` of a two-replica PyTorchJob (targets: at most 0.3 s
  added to a bare start), and `render` of a 1,000-replica one (target: under 1 s in all);
- `get` against a local cluster, minus one TLS request from a bare interpreter (target: at most 0.5 s added
  to its round trip);
- the operator from exec to its first 200 on `/readyz` against the local cluster (target: 1.5 s).

`--kubeconfig` measures `get` and the operator against that cluster instead of a fresh local one (the CRDs are
installed if missing and removed afterwards; the operator watches only a `--namespace-prefix` namespace).
"""

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from operator_harness import Api, add_cluster_arguments, machine, target_cluster

from training_operator.unified.testing import free_port, stop

CLI = str(Path(sys.executable).parent / "training-operator")
ROUND_TRIP = """
import json, ssl, sys, urllib.request
info = json.load(open(sys.argv[1]))
context = ssl.create_default_context(cafile=info["ca"]) if info["ca"] else ssl.create_default_context()
request = urllib.request.Request(info["url"] + "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs",
                                 headers=info["headers"])
urllib.request.urlopen(request, context=context).read()
"""


def big_job(replicas: int) -> dict[str, object]:
    container = {"name": "pytorch", "image": "docker.io/pytorch/pytorch:2.3.0", "command": ["python", "t.py"]}
    template = {"spec": {"containers": [container]}}
    return {
        "apiVersion": "kubeflow.org/v1",
        "kind": "PyTorchJob",
        "metadata": {"name": "big", "namespace": "default"},
        "spec": {
            "pytorchReplicaSpecs": {
                "Master": {"replicas": 1, "restartPolicy": "OnFailure", "template": template},
                "Worker": {"replicas": replicas - 1, "restartPolicy": "OnFailure", "template": template},
            }
        },
    }


ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str], *, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env or ENV, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{command} failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    return elapsed


MEDIANS: dict[int, float] = {}


def median(runs: int, measure: Callable[[], float]) -> float:
    """The best of `runs` (its median is kept in MEDIANS, by call order, for --json)."""
    measure()  # warm the page cache and the bytecode caches
    found = [measure() for _ in range(runs)]
    MEDIANS[len(MEDIANS)] = statistics.median(found)
    return min(found)


def readyz_seconds(kubeconfig: str, log: Path, namespace: str) -> float:
    """Seconds from exec to the first 200 on /readyz."""
    health = free_port()
    command = [CLI, "run", "--kubeconfig", kubeconfig, "--disable-webhooks", "--enable-scheme", "pytorchjob"]
    command += ["--namespace", namespace]
    command += [f"--health-probe-bind-address=127.0.0.1:{health}"]
    command += [f"--metrics-bind-address=127.0.0.1:{free_port()}"]
    start = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=out, stdin=subprocess.DEVNULL, env=ENV)
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the operator exited with {process.returncode}; see {log}")
            url = f"http://127.0.0.1:{health}/readyz"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return time.perf_counter() - start
            time.sleep(0.01)
    finally:
        stop(process)


@contextlib.contextmanager
def no_cluster_env() -> Iterator[dict[str, str]]:
    """An environment whose kubeconfig does not exist: `version` then has no server to ask."""
    with tempfile.TemporaryDirectory() as home:
        yield {**ENV, "HOME": home, "KUBECONFIG": str(Path(home) / "missing")}


def round_trip_info(info: dict[str, object], scratch: str) -> Path:
    """What the bare-interpreter round trip needs (URL, CA file, headers), from the cluster's credentials."""
    from training_operator.core import access

    credentials = access.load(str(info["kubeconfig"]))
    ca = credentials.material.ca_file
    if credentials.material.ca_pem:
        ca = str(Path(scratch, "ca.crt"))
        Path(ca).write_bytes(credentials.material.ca_pem)
    path = Path(scratch, "round-trip.json")
    path.write_text(json.dumps({"url": credentials.server, "ca": ca, "headers": credentials.headers()}))
    return path


async def _namespace(info: dict[str, object]) -> str:
    api = Api(info)
    try:
        return await api.namespace("startup")
    finally:
        await api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    add_cluster_arguments(parser)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch, no_cluster_env() as offline:
        job, small = Path(scratch, "big.yaml"), Path(scratch, "small.yaml")
        job.write_text(yaml.safe_dump(big_job(1000)))
        small.write_text(yaml.safe_dump(big_job(2)))
        figures["bare"] = median(args.runs, lambda: timed([sys.executable, "-c", "pass"]))
        figures["help"] = median(args.runs, lambda: timed([CLI, "--help"], env=offline))
        figures["version"] = median(args.runs, lambda: timed([CLI, "version"], env=offline))
        figures["render"] = median(args.runs, lambda: timed([CLI, "render", str(small)], env=offline))
        figures["render_1000"] = median(args.runs, lambda: timed([CLI, "render", str(job)], env=offline))
        with target_cluster(args, Path(scratch), "cluster") as info:
            get = [CLI, "get", "pytorchjob", "--kubeconfig", info["kubeconfig"]]
            trip = [sys.executable, "-c", ROUND_TRIP, str(round_trip_info(info, scratch))]
            figures["round_trip"] = median(args.runs, lambda: timed(trip))
            figures["get"] = median(args.runs, lambda: timed(get))
            log = Path(scratch, "operator.log")
            namespace = asyncio.run(_namespace(info))
            figures["readyz"] = median(args.runs, lambda: readyz_seconds(info["kubeconfig"], log, namespace))
    report(figures, as_json=args.json)


def report(figures: dict[str, float], *, as_json: bool) -> None:
    bare = figures["bare"]
    rows = {
        "--help": (figures["help"], figures["help"] - bare, 0.3),
        "version (no server)": (figures["version"], figures["version"] - bare, 0.3),
        "render 2 replicas": (figures["render"], figures["render"] - bare, 0.3),
        "render 1,000 replicas": (figures["render_1000"], figures["render_1000"], 1.0),
        "get (minus round trip)": (figures["get"], figures["get"] - figures["round_trip"], 0.5),
        "operator to /readyz": (figures["readyz"], figures["readyz"], 1.5),
    }
    if as_json:
        medians = dict(zip(figures, MEDIANS.values(), strict=True))
        print(json.dumps({"machine": machine(), "best": figures, "median": medians}, indent=2))
        return
    print(f"bare interpreter start: {bare:.3f} s   (machine: {machine()})")
    print(f"{'figure':<24}{'seconds':>9}{'x bare':>9}{'added':>9}{'target':>9}")
    for name, (seconds, added, target) in rows.items():
        mark = "ok" if added <= target else "MISSED"
        print(f"{name:<24}{seconds:>9.3f}{seconds / bare:>9.1f}{added:>9.3f}{target:>8.1f}s {mark}")
    print("(for render of 1,000 replicas and /readyz, `added` is the whole time)")


if __name__ == "__main__":
    main()
