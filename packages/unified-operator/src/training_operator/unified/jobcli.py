"""The job commands of the `training-operator` CLI: submit, get, describe, logs, wait, delete, suspend,
resume, events, render, and the server half of `version`.

`register(subparsers)` adds them to the operator's parser (cli.py); each sets `func=`: (args) -> int. The
operator already has a `version` command (its own and its frameworks' versions); that one is extended with
the cluster's served CRD versions rather than replaced.
Exit codes: 0 success; 1 an error (API failure, not found, invalid job or YAML, unknown kind) or, for `wait`,
the job Failed; 2 `wait` timed out (argparse also exits 2 on usage errors).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training_operator.core.errors import InvalidJob, ReconcileError, TrainingOperatorError, install_hint
from training_operator.unified import __about__
from training_operator.unified.sdk import errors, manifests

if TYPE_CHECKING:  # commands import the models and the client when they run: `--help` stays instant
    from training_operator.unified.sdk.client import TrainingClient

OK, FAILED, TIMED_OUT = 0, 1, 2
Command = Callable[[argparse.Namespace], int]


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--kubeconfig", default=argparse.SUPPRESS, help="kubeconfig file (default: $KUBECONFIG)"
    )
    parser.add_argument("--context", default=argparse.SUPPRESS, help="kubeconfig context")


def register(subparsers: Any) -> None:
    """Add the job commands to the `training-operator` parser's subparsers."""
    common = argparse.ArgumentParser(add_help=False)
    _connection_flags(common)
    common.add_argument(
        "-n", "--namespace", default=argparse.SUPPRESS, help="namespace (default: the context's)"
    )

    def add(name: str, func: Command, text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = subparsers.add_parser(
            name, parents=[common], help=text, description=text
        )
        parser.set_defaults(func=_guarded(func))
        return parser

    add("submit", _submit, "create the jobs in YAML files").add_argument("files", nargs="+", metavar="FILE")
    get = add("get", _get, "list jobs (all kinds when KIND is omitted)")
    get.add_argument("kind", nargs="?", metavar="KIND")
    get.add_argument("name", nargs="?", metavar="NAME")
    describe = add("describe", _describe, "show a job's spec, conditions, replica statuses and events")
    _kind_and_name(describe)
    logs = add("logs", _logs, "print a job's logs (the master's by default)")
    _kind_and_name(logs)
    logs.add_argument("-f", "--follow", action="store_true", help="stream until every pod's log ends")
    logs.add_argument("--replica-type", help="only this replica type (any case)")
    logs.add_argument("--index", type=int, help="only this replica index")
    logs.add_argument("--all", action="store_true", help="every pod, not only the master")
    logs.add_argument("-c", "--container", help="container (default: the kind's main container)")
    wait = add("wait", _wait, "wait for a job condition; exit 0 reached, 1 failed, 2 timed out")
    _kind_and_name(wait)
    wait.add_argument(
        "--for", dest="conditions", default="Succeeded", help="condition type(s), comma-separated"
    )
    wait.add_argument("--timeout", default="10m", type=_duration, help="e.g. 60s, 10m, 1h (default 10m)")
    delete = add("delete", _delete, "delete jobs")
    delete.add_argument("kind", metavar="KIND")
    delete.add_argument("names", nargs="+", metavar="NAME")
    for name, text in (("suspend", "suspend jobs (their pods are removed)"), ("resume", "resume jobs")):
        parser = add(name, _suspend if name == "suspend" else _resume, text)
        parser.add_argument("kind", metavar="KIND")
        parser.add_argument("names", nargs="+", metavar="NAME")
    _kind_and_name(add("events", _events, "show the events recorded on a job"))
    render = add("render", _render, "print the objects the operator would create for a job (no cluster)")
    render.add_argument("file", metavar="FILE")
    _register_version(subparsers)


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
    _connection_flags(existing)


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


def _client(args: argparse.Namespace) -> TrainingClient:
    from training_operator.core import access

    try:
        access.load(getattr(args, "kubeconfig", None), context=getattr(args, "context", None))
    except TrainingOperatorError as error:  # before the client's import: no server, no HTTP stack to load
        raise errors.TrainingError(f"cannot load the cluster configuration: {error}") from None
    from training_operator.unified.sdk.client import TrainingClient

    try:
        return TrainingClient(
            config_file=getattr(args, "kubeconfig", None),
            context=getattr(args, "context", None),
            namespace=getattr(args, "namespace", None),
        )
    except TrainingOperatorError as error:  # core.access: no kubeconfig, bad context, failing plug-in
        raise errors.TrainingError(f"cannot load the cluster configuration: {error}") from None


def _duration(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: use e.g. 90s, 10m or 1h")
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[match.group(2) or "s"]
    return float(match.group(1)) * scale


def _documents(files: Sequence[str]) -> list[manifests.Document]:
    found = []
    for name in files:
        if name == "-":
            found += manifests.load_text(sys.stdin.read(), source="<stdin>")
        else:
            found += manifests.load_file(Path(name))
    return found


def _submit(args: argparse.Namespace) -> int:
    documents = _documents(args.files)
    client = _client(args)
    status = OK
    for document in documents:
        try:
            _check_locally(document)
            job = client.create_job(document.body, namespace=getattr(args, "namespace", None))
            print(f"{job.kind.lower()}/{job.name} created")
        except (errors.TrainingError, errors.UnknownKind, InvalidJob, ValueError) as error:
            print(f"error: {document.source}: {error}", file=sys.stderr)
            status = FAILED
    return status


def _check_locally(document: manifests.Document) -> None:
    """The webhook's rules, run before sending, when the kind's framework package is installed."""
    from training_operator.core import strict
    from training_operator.unified.sdk import kinds

    framework = kinds.for_body(document.body).framework
    if framework is not None:
        strict.check(document.body, framework)  # what kubectl's strict field validation refuses
        job = framework.parse(document.body)
        if found := framework.problems(job):
            raise InvalidJob(found)


def _get(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds, printing

    client = _client(args)
    now = datetime.now(UTC)
    if args.kind is None:
        found = []
        for kind in kinds.known_kinds():
            try:
                found += client.list_jobs(job_kind=kind)
            except errors.KindNotInstalled:
                continue
        print(printing.job_table(found, now, with_kind=True) if found else "No jobs found.")
        return OK
    kind = kinds.resolve(args.kind).kind
    found = [client.get_job(args.name, job_kind=kind)] if args.name else client.list_jobs(job_kind=kind)
    print(
        printing.job_table(found, now, with_kind=False)
        if found
        else f"No {kind}s found in {client.namespace}."
    )
    return OK


def _describe(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds, printing

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    job = client.get_job(args.name, job_kind=kind)
    print(printing.describe(job, client.get_job_events(args.name, job_kind=kind), datetime.now(UTC)))
    return OK


def _logs(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    filtered = args.replica_type is not None or args.index is not None or args.all
    found, _ = client.get_job_logs(
        args.name,
        job_kind=kind,
        is_master=not filtered,
        replica_type=args.replica_type,
        replica_index=args.index,
        follow=args.follow,
        container=args.container,
        on_line=lambda pod, line: print(f"[{pod}] {line}", flush=True),
    )
    if not found:
        print(f"error: {kind} {client.namespace}/{args.name} has no started pods matching", file=sys.stderr)
        return FAILED
    if not args.follow:
        for pod, text in found.items():
            sys.stdout.write(
                text if len(found) == 1 else "".join(f"[{pod}] {ln}\n" for ln in text.splitlines())
            )
    return OK


def _wait(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds, printing, watching

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    expected = {c.strip() for c in args.conditions.split(",") if c.strip()}
    what = f"{kind.lower()}/{args.name}"
    transitions = watching.Transitions()

    def report(job: Any) -> None:
        for condition in transitions.new(job):
            print(printing.progress(what, condition), flush=True)

    try:
        client.wait_for_job_conditions(
            args.name, job_kind=kind, expected_conditions=expected, wait_timeout=args.timeout, callback=report
        )
    except errors.JobFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return FAILED
    except errors.Timeout as error:
        print(f"error: {error}", file=sys.stderr)
        return TIMED_OUT
    print(f"{what} condition met")
    return OK


def _delete(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    for name in args.names:
        client.delete_job(name, job_kind=kind)
        print(f"{kind.lower()}/{name} deleted")
    return OK


def _suspend(args: argparse.Namespace) -> int:
    return _set_suspended(args, suspend=True)


def _resume(args: argparse.Namespace) -> int:
    return _set_suspended(args, suspend=False)


def _set_suspended(args: argparse.Namespace, *, suspend: bool) -> int:
    """Merge-patch runPolicy.suspend on each job; a missing one is reported and the others still done."""
    from training_operator.unified.sdk import kinds

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    status = OK
    for name in args.names:
        try:
            client.set_job_suspended(name, suspend, job_kind=kind)
        except errors.TrainingError as error:
            print(f"error: {error}", file=sys.stderr)
            status = FAILED
            continue
        print(f"{kind.lower()}/{name} {'suspended' if suspend else 'resumed'}")
    return status


def _events(args: argparse.Namespace) -> int:
    from training_operator.unified.sdk import kinds, printing

    client = _client(args)
    kind = kinds.resolve(args.kind).kind
    client.get_job(args.name, job_kind=kind)  # a typo in the name is an error, not "no events"
    found = client.get_job_events(args.name, job_kind=kind)
    print(printing.event_table(found) if found else f"No events found for {kind.lower()}/{args.name}.")
    return OK


def _version(args: argparse.Namespace) -> int:
    print(f"training-operator SDK {__about__.__version__}")
    return _server_versions(args)


def _server_versions(args: argparse.Namespace) -> int:
    """Each kind's served CRD versions; reading CRDs needs RBAC, so a refusal is a note, not a failure."""
    try:
        client = _client(args)
        print(f"server: {client.credentials.server}")
        from training_operator.unified.sdk import kinds  # the models: only once there is a server to ask

        for kind in kinds.known_kinds():
            served = client.get_served_versions(kind)
            expected = kinds.resolve(kind).version
            note = "" if not served or expected in served else f" (the SDK speaks {expected})"
            print(f"  {kind:<12} {', '.join(served) if served else 'not installed'}{note}")
    except errors.Forbidden as error:
        print(f"  CRD versions unknown: {error}")
    except errors.TrainingError as error:
        print(f"server: unavailable: {error}")
    return OK


def _render(args: argparse.Namespace) -> int:
    """Print what the operator would create for each job (core.rendering: the same pure function a
    framework package offers as a library)."""
    from training_operator.core import rendering
    from training_operator.core.strict import UnknownFields
    from training_operator.unified import emitter
    from training_operator.unified.sdk import kinds

    rendered: list[Any] = []
    for document in _documents([args.file]):
        ref = kinds.for_body(document.body)
        if ref.framework is None:
            raise ValueError(f"render needs the {ref.kind} framework: {install_hint([ref.kind.lower()])}")
        try:
            result = rendering.render(ref.framework, document.body)
        except UnknownFields:
            raise  # kubectl's one-line strict decoding error, through main's error handler
        except InvalidJob as error:
            name = (document.body.get("metadata") or {}).get("name", "")
            print(f"{document.source}: {ref.kind} {name} is invalid:", file=sys.stderr)
            for problem in error.problems:
                print(f"  {problem.render()}", file=sys.stderr)
            return FAILED
        except ReconcileError as error:
            raise ValueError(f"{document.source}: {error}") from None
        rendered += result.objects
    print(emitter.dump_all(rendered), end="")  # PyYAML's own dumper takes seconds for 1,000 replicas
    return OK
