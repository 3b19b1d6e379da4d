"""Mutation testing of the engine and each plug-in's status and env rules, module by module (not in CI).

cosmic-ray mutates one module's source on disk (an operator flipped, a constant changed, a branch cut), runs
that module's unit tests, and restores the file; a mutant the tests do not notice *survives*. The score is
the share of mutants killed, per module. Most of a mutant's cost would be a fresh interpreter importing
pytest, hypothesis and pydantic, so this script keeps one warm process and forks it per mutant (the child
drops the project's modules and re-imports them from disk, bytecode off): roughly three times faster on
this layout. Every mutant still runs in its own process; the source on disk is what is tested.

Run (cosmic-ray in any virtualenv: `python -m venv /tmp/cr && /tmp/cr/bin/pip install cosmic-ray`):

    hatch run python bench/mutation.py --cosmic-ray /tmp/cr/bin/cosmic-ray ownership planner
    hatch run python bench/mutation.py --cosmic-ray /tmp/cr/bin/cosmic-ray --all --survivors
    hatch run python bench/mutation.py --cosmic-ray /tmp/cr/bin/cosmic-ray quantity \
        --tests packages/training-core/tests/engine/test_resource_quantities_follow_kubernetes.py

Equivalent mutants are skipped before the run, each by a stated rule (`is_equivalent`): changes inside
annotations and decorator arguments, `*` → `/` on keyword-only markers, `is` ↔ `==` swaps. The score counts
the rest. Prints one line per module (mutants, killed, survived, score) and, with `--survivors`, each
surviving mutant's diff; writes bench/results/mutation.json (merged with earlier runs). The mutants are made
in a temporary copy of packages/ (put first on PYTHONPATH), so the checkout is never edited and stays usable
during a run. CPU-heavy: run it module by module on a shared machine, niced.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "mutation.json"
CORE = "packages/training-core/src/training_operator/core/engine"
CORE_TESTS = ("packages/training-core/tests/engine",)
#: modules that other tests exercise too: the adapter reads plans and snapshots, the models validate
EXTRA_TESTS = {
    "plan": ("packages/training-core/tests/kube",),
    "observed": ("packages/training-core/tests/kube",),
    "replicated": ("packages/training-core/tests/api",),
}
#: hypothesis-driven properties: slow per mutant and random; the table tests carry the score
SKIPPED_TESTS = ("packages/training-core/tests/engine/test_engine_invariants.py",)
CORE_MODULES = (
    "conditions", "container_env", "draft", "events", "extras", "gang", "gojson", "naming", "observed",
    "owner", "ownership", "plan", "planner", "policy", "ports", "quantity", "reconciliation",
    "replica_objects", "replica_pass", "replicas", "replicated",
)  # fmt: skip
PLUGINS = {
    "tf": ("tf-controller", "tf", ("status", "tf_config")),
    "pytorch": ("pytorch-controller", "pytorch", ("status", "env")),
    "mxnet": ("mxnet-controller", "mxnet", ("status", "env")),
    "xgboost": ("xgboost-controller", "xgboost", ("status", "env")),
    "mpi": ("mpi-controller", "mpi", ("status", "env")),
    "paddle": ("paddle-controller", "paddle", ("status", "env")),
    "jax": ("jax-controller", "jax", ("status", "env")),
}
MUTANT_TIMEOUT = 60.0


def modules() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Short name → (source file, the unit tests that judge it)."""
    table = {name: (f"{CORE}/{name}.py", CORE_TESTS + EXTRA_TESTS.get(name, ())) for name in CORE_MODULES}
    for plugin, (folder, package, names) in PLUGINS.items():
        for name in names:
            source = f"packages/{folder}/src/training_operator/{package}/{name}.py"
            table[f"{plugin}.{name}"] = (source, (f"packages/{folder}/tests",))
    return table


# -- the warm runner: one process with pytest imported, forked per mutant ------------------------------


def serve(path: str) -> None:
    """Answer each client with the exit code of `pytest <its args>` run in a fresh fork."""
    import pydantic  # noqa: F401 - warm: what every test run imports (pytest itself is imported early
    import pytest  # noqa: F401   enough; its plugins, hypothesis among them, load in the child)

    sys.dont_write_bytecode = True  # a mutant's bytecode must never be mistaken for another's
    server = socket.socket(socket.AF_UNIX)  # lives until the parent kills this process
    server.bind(path)
    server.listen(4)
    while True:
        connection, _ = server.accept()
        with connection:
            args = json.loads(connection.makefile().readline())
            connection.sendall(f"{_run_forked(args)}\n".encode())


def _run_forked(args: list[str]) -> int:
    if not args:
        return 2  # never the whole suite (it starts clusters and operators)
    child = os.fork()
    if child == 0:
        os.setsid()  # a hung mutant is killed with everything it started
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        for name in [n for n in sys.modules if n.startswith(("training_operator", "packages", "tests"))]:
            del sys.modules[name]
        import pytest

        os._exit(int(pytest.main(args)))
    deadline = time.monotonic() + MUTANT_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) or 0
        time.sleep(0.02)
    os.killpg(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return 124  # a mutant that hangs is caught


def client(path: str, args: list[str]) -> int:
    """What cosmic-ray runs per mutant: ask the warm runner, exit with its answer (no heavy imports)."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(path)
        connection.sendall((json.dumps(args) + "\n").encode())
        answer = connection.makefile().readline()
    return int(answer.strip() or 1)


# -- equivalent mutants: skipped before the run, with the rule that skips them ----------------------------

#: `x is Y` → `x == Y` and the like keep the meaning for our enums, dicts and interned strings
SAME_POLARITY_SWAPS = frozenset(
    f"core/ReplaceComparisonOperator_{a}_{b}"
    for a, b in (("Is", "Eq"), ("Eq", "Is"), ("IsNot", "NotEq"), ("NotEq", "IsNot"))
)


def equivalent_spans(source: str) -> tuple[list[tuple[tuple[int, int], tuple[int, int]]], str]:
    """Where a mutation cannot change behaviour: annotations (never evaluated, `from __future__ import
    annotations`) and decorators' arguments (`@dataclass(slots=True)`); plus the source, to find the bare
    `*` of keyword-only parameters, which a `/` (positional-only) keeps callable the same way."""
    import ast

    spans = []
    for node in ast.walk(ast.parse(source)):
        parts: list[ast.expr] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            parts = [*node.decorator_list, *([node.returns] if node.returns else [])]
        elif isinstance(node, ast.ClassDef):
            parts = list(node.decorator_list)
        elif isinstance(node, ast.arg | ast.AnnAssign):
            parts = [node.annotation] if node.annotation is not None else []
        spans += [
            ((p.lineno, p.col_offset), (p.end_lineno or p.lineno, p.end_col_offset or 0)) for p in parts
        ]
    return spans, source


def is_equivalent(operator: str, start: tuple[int, int], spans: list[Any], source: str) -> str:
    """The rule that makes this mutation equivalent, or "" when it must be tested."""
    if operator in SAME_POLARITY_SWAPS:
        return "identity/equality swap"
    if any(first <= start < last for first, last in spans):
        return "annotation or decorator"
    line = source.splitlines()[start[0] - 1]
    rest = line[start[1] :]
    if (
        operator.startswith("core/ReplaceBinaryOperator_Mul_")
        and rest[:1] == "*"
        and rest[1:].lstrip()[:1] in (",", ")")
    ):
        return "keyword-only marker"
    return ""


def skip_equivalent(session: str, root: str) -> None:
    """Run with cosmic-ray's interpreter: mark the equivalent mutants of a session as skipped."""
    from cosmic_ray.work_db import use_db  # type: ignore[import-not-found]
    from cosmic_ray.work_item import WorkerOutcome, WorkResult  # type: ignore[import-not-found]

    sources: dict[str, Any] = {}
    with use_db(session) as db:
        for item in list(db.pending_work_items):
            for mutation in item.mutations:
                path = str(mutation.module_path)
                if path not in sources:
                    sources[path] = equivalent_spans((Path(root) / path).read_text())
                start = (mutation.start_pos[0], mutation.start_pos[1])
                rule = is_equivalent(mutation.operator_name, start, *sources[path])
                if rule:
                    db.set_result(item.job_id, WorkResult(output=rule, worker_outcome=WorkerOutcome.SKIPPED))
                    break


# -- one module: cosmic-ray init + exec against the warm runner, then the tally ----------------------------


def snapshot(workdir: Path) -> Path:
    """A copy of the packages to mutate: cosmic-ray edits files in place, and the checkout stays usable
    (and unchanged, whatever happens) while a run goes on."""
    tree = workdir / "tree"
    shutil.copytree(ROOT / "packages", tree / "packages", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    shutil.copytree(ROOT / "tests" / "samples" / "data", tree / "tests" / "samples" / "data")  # SDK samples
    return tree


def _copy_environment(tree: Path) -> dict[str, str]:
    """PYTHONPATH puts the copy's sources before the editable installs of the checkout."""
    sources = sorted(str(path) for path in (tree / "packages").glob("*/src"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sources)}


def mutate(name: str, cosmic_ray: str, workdir: Path, only: tuple[str, ...] = ()) -> dict[str, object]:
    source, tests = modules()[name]
    tests = only or tests
    tree = snapshot(workdir)
    sock = str(workdir / "runner.sock")
    runner = subprocess.Popen(
        [sys.executable, __file__, "--serve", sock], cwd=tree, env=_copy_environment(tree)
    )
    try:
        _wait_for(sock)
        pytest_args = ["-x", "-q", "-p", "no:cacheprovider", *tests]
        pytest_args += [f"--ignore={path}" for path in SKIPPED_TESTS]
        command = " ".join([sys.executable, __file__, "--client", sock, "--", *pytest_args])
        config = workdir / f"{name}.toml"
        config.write_text(
            "[cosmic-ray]\n"
            f'module-path = "{source}"\n'
            f"timeout = {MUTANT_TIMEOUT + 10}\n"
            "excluded-modules = []\n"
            f'test-command = "{command}"\n'
            "[cosmic-ray.distributor]\n"
            'name = "local"\n'
        )
        if client(sock, pytest_args) != 0:
            raise SystemExit(f"{name}: the unmutated tests fail; fix them before mutating")
        session = workdir / f"{name}.sqlite"
        started = time.monotonic()
        subprocess.run([cosmic_ray, "init", str(config), str(session)], cwd=tree, check=True)
        interpreter = str(Path(cosmic_ray).parent / "python")
        subprocess.run([interpreter, __file__, "--skip-equivalent", str(session), str(tree)], check=True)
        subprocess.run(
            [cosmic_ray, "exec", str(config), str(session)], cwd=tree, check=True, stdout=subprocess.DEVNULL
        )
        elapsed = time.monotonic() - started
        dump = subprocess.run(
            [cosmic_ray, "dump", str(session)], cwd=tree, check=True, capture_output=True, text=True
        ).stdout
    finally:
        runner.kill()
        runner.wait()
    return _tally(name, source, dump, elapsed)


def _wait_for(path: str) -> None:
    deadline = time.monotonic() + 60
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise SystemExit("the warm test runner did not start")
        time.sleep(0.05)


def _tally(name: str, source: str, dump: str, elapsed: float) -> dict[str, object]:
    survivors: list[str] = []
    total = killed = equivalent = 0
    for line in dump.splitlines():
        _, result = json.loads(line)
        if result and result.get("worker_outcome") == "skipped":
            equivalent += 1
            continue
        total += 1
        if result and result.get("test_outcome") == "survived":
            survivors.append(str(result.get("diff") or ""))
        else:
            killed += 1  # killed, incompetent (the mutant cannot even import) or timed out
    score = 100.0 * killed / total if total else 100.0
    return {
        "module": name,
        "source": source,
        "mutants": total,
        "equivalent": equivalent,
        "killed": killed,
        "survived": len(survivors),
        "score": round(score, 1),
        "seconds": round(elapsed, 1),
        "survivors": survivors,
    }


def main() -> int:
    if sys.argv[1:2] == ["--client"]:  # per mutant: `--client SOCKET -- <pytest args>`, parsed by hand
        return client(sys.argv[2], sys.argv[4:])
    if sys.argv[1:2] == ["--serve"]:
        serve(sys.argv[2])
        return 0
    if sys.argv[1:2] == ["--skip-equivalent"]:
        skip_equivalent(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="modules to mutate (see --list)")
    parser.add_argument("--all", action="store_true", help="every module in the table")
    parser.add_argument("--list", action="store_true", help="print the module table and exit")
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant's diff")
    parser.add_argument("--cosmic-ray", default="cosmic-ray", help="the cosmic-ray executable")
    parser.add_argument(
        "--tests",
        nargs="+",
        default=(),
        help="judge by these test paths only (the files that cover the module): several times faster, and "
        "the score can only be lower than with the module's whole table of tests",
    )
    args = parser.parse_args()
    table = modules()
    if args.list:
        for name, (source, tests) in table.items():
            print(f"{name:<18} {source}  ← {' '.join(tests)}")
        return 0
    names = list(table) if args.all else args.names
    unknown = [n for n in names if n not in table]
    if unknown or not names:
        parser.error(f"unknown module(s) {unknown}; see --list" if unknown else "name modules, or --all")
    stored = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    print(
        f"{'module':<18} {'mutants':>7} {'killed':>6} {'survived':>8} {'score':>6} {'equiv.':>6} {'time':>7}"
    )
    for name in names:
        with tempfile.TemporaryDirectory(prefix="mutation-") as tmp:
            result = mutate(name, args.cosmic_ray, Path(tmp), tuple(args.tests))
        print(
            f"{name:<18} {result['mutants']:>7} {result['killed']:>6} {result['survived']:>8} "
            f"{result['score']:>5}% {result['equivalent']:>6} {result['seconds']:>6}s",
            flush=True,
        )
        if args.survivors:
            for diff in result["survivors"]:  # type: ignore[attr-defined]
                print(diff)
        stored[name] = {k: v for k, v in result.items() if k != "survivors"}
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(json.dumps(stored, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
