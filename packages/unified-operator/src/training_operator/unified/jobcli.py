"""The job commands of the `training-operator` CLI: submit, apply, run (a job from an image), get, describe,
logs, wait, delete, suspend, resume, events, render, completion, and the server half of `version`.

`register(subparsers)` adds them to the operator's parser (cli.py); each sets `func=`: (args) -> int. The
operator already has a `version` command (its own and its frameworks' versions); that one is extended with
the cluster's served CRD versions rather than replaced, and `run` with `--image` starts a job instead of the
operator (`runs_a_job`, `run_parser`). Commands that start or wait for jobs live in `submitting`.
Exit codes: 0 success; 1 an error (API failure, not found, invalid job or YAML, unknown kind, conflict) or
the job Failed; 2 a usage error (argparse) or a wait that timed out; 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training_operator.core.errors import InvalidJob, ReconcileError, install_hint
from training_operator.unified import __about__, completion, jobargs
from training_operator.unified.sdk import errors, manifests

if TYPE_CHECKING:  # commands import the models and the client when they run: `--help` stays instant
    pass

OK, FAILED, TIMED_OUT = 0, 1, 2
Command = Callable[[argparse.Namespace], int]
OUTPUTS = ("table", "wide", "yaml", "json", "name")  # sdk.printing.FORMATS, without importing the models


def _lazy(module: str, name: str) -> Command:
    """A command whose code is imported when it runs (`--help` does not load it)."""

    def run(args: argparse.Namespace) -> int:
        command: Command = getattr(importlib.import_module(f"training_operator.unified.{module}"), name)
        return command(args)

    return run


def register(subparsers: Any) -> None:
    """Add the job commands to the `training-operator` parser's subparsers."""
    common = jobargs.common()

    def add(name: str, func: Command, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=[common], help=text, description=text
        )
        parser.set_defaults(func=_guarded(func))
        return parser

    for name, text in (
        ("submit", "create the jobs in YAML files"),
        ("apply", "server-side apply the jobs in YAML files (create or change them)"),
    ):
        parser = add(name, _lazy("submitting", name), text)
        _files(parser)
        _waiting(parser)
    apply = subparsers.choices["apply"]
    apply.add_argument("--field-manager", default="training-operator", help="who owns the applied fields")
    apply.add_argument("--force-conflicts", action="store_true", help="take over fields another manager owns")
    get = add("get", _lazy("viewing", "get"), "list jobs (all kinds when KIND is omitted)")
    get.add_argument("kind", nargs="?", metavar="KIND")
    get.add_argument("name", nargs="?", metavar="NAME")
    get.add_argument("-A", "--all-namespaces", action="store_true", help="jobs of every namespace")
    _output(get, OUTPUTS)
    describe = add(
        "describe", _lazy("viewing", "describe"), "show a job's spec, conditions, replica statuses and events"
    )
    _kind_and_name(describe)
    _log_flags(add("logs", _lazy("viewing", "logs"), "print a job's logs (the master's by default)"))
    _wait_flags(
        add(
            "wait",
            _lazy("submitting", "wait"),
            "wait for a job condition; exit 0 reached, 1 failed, 2 timed out",
        )
    )
    delete = add("delete", _delete, "delete jobs")
    delete.add_argument("kind", metavar="KIND")
    delete.add_argument("names", nargs="+", metavar="NAME")
    for name, text in (("suspend", "suspend jobs (their pods are removed)"), ("resume", "resume jobs")):
        parser = add(name, _suspend if name == "suspend" else _resume, text)
        parser.add_argument("kind", metavar="KIND")
        parser.add_argument("names", nargs="+", metavar="NAME")
    _kind_and_name(add("events", _lazy("viewing", "events"), "show the events recorded on a job"))
    render = add("render", _render, "print the objects the operator would create for a job (no cluster)")
    render.add_argument("file", metavar="FILE")
    _output(render, OUTPUTS[2:], default="yaml")
    completion.register(subparsers, extra={"run": run_parser()})
    _register_version(subparsers)


def _log_flags(logs: argparse.ArgumentParser) -> None:
    _kind_and_name(logs)
    logs.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="stream, also from pods that start later, until the job ends",
    )
    logs.add_argument("--replica-type", help="only this replica type (any case)")
    logs.add_argument("--index", type=int, help="only this replica index")
    logs.add_argument("--all", action="store_true", help="every pod, not only the master")
    logs.add_argument("-c", "--container", help="container (default: the kind's main container)")
    logs.add_argument("--prefix", action="store_true", help="prefix each line with [pod/<pod>/<container>]")


def _wait_flags(wait: argparse.ArgumentParser) -> None:
    _kind_and_name(wait)
    wait.add_argument(
        "--for",
        dest="conditions",
        default="Succeeded",
        type=jobargs.conditions,
        help="condition type(s), comma-separated",
    )
    wait.add_argument(
        "--timeout", default="10m", type=jobargs.duration, help="e.g. 60s, 10m, 1h (default 10m)"
    )


def _files(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="YAML files (- reads standard input)")
    parser.add_argument("-f", "--filename", action="append", default=[], metavar="FILE", help="as FILE")


def _waiting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait", action="store_true", help="wait until the jobs succeed (exit 1 if one fails)"
    )
    parser.add_argument(
        "--timeout", default="24h", type=jobargs.duration, help="how long --wait waits (default 24h)"
    )


def _output(parser: argparse.ArgumentParser, choices: Sequence[str], default: str = "table") -> None:
    parser.add_argument("-o", "--output", choices=choices, default=default, help=f"default {default}")


def runs_a_job(argv: Sequence[str]) -> bool:
    """`run` with `--image` (or `--kind`) before any `--`: a training job, not the operator."""
    if not argv or argv[0] != "run":
        return False
    flags = argv[1 : argv.index("--")] if "--" in argv else argv[1:]
    return any(a.split("=", 1)[0] in ("--image", "--kind") for a in flags)


def run_parser() -> argparse.ArgumentParser:
    """`run --image IMG [--kind K] [--workers N] [-- CMD...]`: a job from an image, no YAML."""
    parser = argparse.ArgumentParser(
        prog="training-operator run",
        parents=[jobargs.common()],
        description="Start a training job from an image (Kubeflow's image mode); the command after -- runs "
        "in every replica. `training-operator run` without --image runs the operator.",
    )
    parser.add_argument("--image", required=True, help="the container image")
    parser.add_argument(
        "--kind", default="PyTorchJob", help="PyTorchJob (default), TFJob, XGBoostJob, MXJob, PaddleJob"
    )
    parser.add_argument("--name", help="the job's name (default: generated)")
    parser.add_argument("--workers", type=int, default=1, help="replicas, the master included (default 1)")
    parser.add_argument("--procs", default=None, help="PyTorchJob: processes per worker (nprocPerNode)")
    parser.add_argument("--gpus", type=int, default=0, help="GPUs per replica (nvidia.com/gpu)")
    parser.add_argument(
        "--env", action="append", default=[], metavar="NAME=VALUE", help="an env var (repeat)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the job instead of creating it")
    _output(parser, ("yaml", "json"), default="yaml")
    _waiting(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD...", help="the command to run")
    parser.set_defaults(func=_guarded(_lazy("submitting", "run")))
    return parser


def _register_version(subparsers: Any) -> None:
    """`version`: the operator's own command when present (cli.py), extended; else a standalone one."""
    existing = subparsers.choices.get("version")
    if existing is None:
        existing = subparsers.add_parser(
            "version", help="print the SDK version and the cluster's CRD versions"
        )
        existing.set_defaults(func=_version)
    else:
        existing.set_defaults(func=_chained(existing.get_default("func"), _server_versions))
    jobargs.connection_flags(existing)


def _chained(first: Command, then: Command) -> Command:
    def run(args: argparse.Namespace) -> int:
        return first(args) or then(args)

    return run


def _kind_and_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", metavar="KIND")
    parser.add_argument("name", metavar="NAME")


def _guarded(func: Command) -> Command:
    """Turn the SDK's errors into one clear line on stderr and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (
            errors.TrainingError,
            errors.UnknownKind,
            manifests.ManifestError,
            InvalidJob,
            ValueError,
        ) as error:
            print(f"error: {error}", file=sys.stderr)
            return FAILED

    return run


def documents(files: Sequence[str]) -> list[manifests.Document]:
    """Every document of the files named (`-` is standard input)."""
    found = []
    for name in files:
        if name == "-":
            found += manifests.load_text(sys.stdin.read(), source="<stdin>")
        else:
            found += manifests.load_file(Path(name))
    return found


def check_locally(document: manifests.Document) -> None:
    """The webhook's rules, run before sending, when the kind's framework package is installed."""
    from training_operator.core import strict
    from training_operator.unified.sdk import kinds

    framework = kinds.for_body(document.body).framework
    if framework is not None:
        strict.check(document.body, framework)  # what kubectl's strict field validation refuses
        job = framework.parse(document.body)
        if found := framework.problems(job):
            raise InvalidJob(found)


def _delete(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds

    api = jobargs.client(args)
    kind = kinds.resolve(args.kind).kind
    for name in args.names:
        api.delete_job(name, job_kind=kind)
        print(f"{kind.lower()}/{name} deleted")
    return OK


def _suspend(args: argparse.Namespace) -> int:
    return _set_suspended(args, suspend=True)


def _resume(args: argparse.Namespace) -> int:
    return _set_suspended(args, suspend=False)


def _set_suspended(args: argparse.Namespace, *, suspend: bool) -> int:
    """Merge-patch runPolicy.suspend on each job; a missing one is reported and the others still done."""
    from training_operator.unified.sdk import kinds

    api = jobargs.client(args)
    kind = kinds.resolve(args.kind).kind
    status = OK
    for name in args.names:
        try:
            api.set_job_suspended(name, suspend, job_kind=kind)
        except errors.TrainingError as error:
            print(f"error: {error}", file=sys.stderr)
            status = FAILED
            continue
        print(f"{kind.lower()}/{name} {'suspended' if suspend else 'resumed'}")
    return status


def _version(args: argparse.Namespace) -> int:
    print(f"training-operator SDK {__about__.__version__}")
    return _server_versions(args)


def _server_versions(args: argparse.Namespace) -> int:
    """Each kind's served CRD versions; reading CRDs needs RBAC, so a refusal is a note, not a failure."""
    try:
        api = jobargs.client(args)
        print(f"server: {api.credentials.server}")
        from training_operator.unified.sdk import kinds  # the models: only once there is a server to ask

        for kind in kinds.known_kinds():
            served = api.get_served_versions(kind)
            expected = kinds.resolve(kind).version
            note = "" if not served or expected in served else f" (the SDK speaks {expected})"
            print(f"  {kind:<12} {', '.join(served) if served else 'not installed'}{note}")
    except errors.Forbidden as error:
        print(f"  CRD versions unknown: {error}")
    except errors.TrainingError as error:
        print(f"server: unavailable: {error}")
    return OK


def _render(args: argparse.Namespace) -> int:
    """Print what the operator would create for each job, in `-o`'s format (core.rendering: the same pure
    function a framework package offers as a library)."""
    from training_operator.core import rendering
    from training_operator.core.strict import UnknownFields
    from training_operator.unified.sdk import kinds, printing

    rendered: list[Any] = []
    for document in documents([args.file]):
        ref = kinds.for_body(document.body)
        if ref.framework is None:
            raise ValueError(f"render needs the {ref.kind} framework: {install_hint([ref.kind.lower()])}")
        try:
            result = rendering.render(ref.framework, document.body)
        except UnknownFields:
            raise  # kubectl's one-line strict decoding error, through `_guarded`
        except InvalidJob as error:
            name = (document.body.get("metadata") or {}).get("name", "")
            print(f"{document.source}: {ref.kind} {name} is invalid:", file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem.render()}", file=sys.stderr)
            return FAILED
        except ReconcileError as error:
            raise ValueError(f"{document.source}: {error}") from None
        rendered += result.objects
    sys.stdout.write(printing.documents(rendered, args.output, single=False, stream=True))
    return OK
