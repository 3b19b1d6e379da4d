"""The CLI commands that start jobs and wait for them: `submit`, `apply`, `run` (a job from an image, no
YAML), each with `--wait`, and `wait`.

Waiting follows every job at once on the async client (one watch each), drawing progress with `progress`.
Exit codes (docs/sdk.md): 0 every job reached the condition waited for (Succeeded by default); 1 a job
Failed or a request failed; 2 the wait timed out (argparse's usage errors are 2 as well).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from training_operator.core.errors import InvalidJob
from training_operator.unified import jobargs, jobcli, progress
from training_operator.unified.sdk import errors, manifests

if TYPE_CHECKING:
    from training_operator.unified.sdk.aio import AsyncTrainingClient

OK, FAILED, TIMED_OUT = jobcli.OK, jobcli.FAILED, jobcli.TIMED_OUT


@dataclass(frozen=True, slots=True)
class Target:
    """One job to wait for."""

    kind: str
    namespace: str | None  # None: the client's (the context's, or -n)
    name: str

    @property
    def label(self) -> str:
        """`kind/name`, as the CLI prints jobs."""
        return f"{self.kind.lower()}/{self.name}"


def submit(args: argparse.Namespace) -> int:
    """Create every document; with `--wait`, wait for all of them."""
    client = jobargs.client(args)

    def create(document: manifests.Document) -> Any:
        return client.create_job(document.body, namespace=getattr(args, "namespace", None))

    return _each_then_wait(args, _manifests(args), create, "created")


def apply(args: argparse.Namespace) -> int:
    """Server-side apply every document; with `--wait`, wait for all of them."""
    client = jobargs.client(args)

    def applied(document: manifests.Document) -> Any:
        return client.apply_job(
            document.body,
            namespace=getattr(args, "namespace", None),
            field_manager=args.field_manager,
            force=args.force_conflicts,
        )

    return _each_then_wait(args, _manifests(args), applied, "applied")


def _manifests(args: argparse.Namespace) -> list[manifests.Document]:
    files = [*args.files, *args.filename]
    if not files:
        raise ValueError("no manifest given: name the YAML files (or -f FILE; - reads standard input)")
    return jobcli.documents(files)


def _each_then_wait(
    args: argparse.Namespace, documents: Sequence[manifests.Document], send: Any, done: str
) -> int:
    status, targets = OK, []
    for document in documents:
        try:
            jobcli.check_locally(document)
            job = send(document)
        except errors.Conflict as error:
            print(f"error: {document.source}: {error}", file=sys.stderr)
            print("  (apply --force-conflicts takes these fields over)", file=sys.stderr)
            status = FAILED
            continue
        except (errors.TrainingError, errors.UnknownKind, InvalidJob, ValueError) as error:
            print(f"error: {document.source}: {error}", file=sys.stderr)
            status = FAILED
            continue
        print(f"{job.kind.lower()}/{job.name} {done}", flush=True)
        targets.append(Target(job.kind, job.namespace, job.name))
    if not args.wait or not targets:
        return status
    return max(status, wait_for(args, targets, {"Succeeded"}, args.timeout))


def run(args: argparse.Namespace) -> int:
    """A job from an image (Kubeflow's image mode), the command after `--`; `--dry-run` prints it."""
    from training_operator.unified.sdk import builders, kinds, printing

    ref = kinds.resolve(args.kind)
    env = dict(_pair(text) for text in args.env)
    builder = builders.Builder(
        base_image=args.image,
        num_workers=args.workers,
        env_vars=env or None,
        resources_per_worker={"gpu": args.gpus} if args.gpus else None,
        num_procs_per_worker=args.procs,
    )
    api = None if args.dry_run else jobargs.client(args)
    namespace = getattr(args, "namespace", None) or (api.namespace if api else "default")
    body = builders.build(ref, builder, name=args.name or "generated", namespace=namespace)
    if not args.name:  # the server picks a unique name, as kubectl create does for generateName
        body["metadata"] = {"generateName": f"{ref.kind.lower()}-", "namespace": namespace}
    _set_command(body, args.command)
    if api is None:
        sys.stdout.write(printing.documents([body], args.output, single=True))
        return OK
    job = api.create_job(body)
    print(f"{job.kind.lower()}/{job.name} created", flush=True)
    if not args.wait:
        return OK
    return wait_for(args, [Target(job.kind, job.namespace, job.name)], {"Succeeded"}, args.timeout)


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--env {text!r}: use NAME=VALUE")
    return key, value


def _set_command(body: dict[str, Any], command: Sequence[str]) -> None:
    """The command after `--` runs in every replica's main container."""
    words = list(command[1:] if command[:1] == ["--"] else command)
    if not words:
        return
    for key, specs in body["spec"].items():
        if key.endswith("ReplicaSpecs"):
            for spec in specs.values():
                spec["template"]["spec"]["containers"][0]["command"] = words


def wait(args: argparse.Namespace) -> int:
    """`wait KIND NAME [--for ...] [--timeout ...]`."""
    from training_operator.unified.sdk import kinds

    kind = kinds.resolve(args.kind).kind
    target = Target(kind, getattr(args, "namespace", None), args.name)
    return wait_for(args, [target], args.conditions, args.timeout)


def wait_for(
    args: argparse.Namespace, targets: Sequence[Target], expected: Collection[str], timeout: float
) -> int:
    """Follow every target until it reaches an expected condition; the exit code for all of them."""
    board = progress.Board(sys.stdout)
    try:
        outcomes = asyncio.run(_all(args, targets, frozenset(expected), timeout, board))
    finally:
        board.close()
    for target, outcome in zip(targets, outcomes, strict=True):
        if outcome is None:
            print(f"{target.label} condition met")
        else:
            print(f"error: {outcome}", file=sys.stderr)
    codes = [
        OK if o is None else FAILED if not isinstance(o, errors.Timeout) else TIMED_OUT for o in outcomes
    ]
    return FAILED if FAILED in codes else max(codes)


async def _all(
    args: argparse.Namespace,
    targets: Sequence[Target],
    expected: frozenset[str],
    seconds: float,
    board: progress.Board,
) -> list[errors.TrainingError | None]:
    async with jobargs.async_client(args) as client:
        return list(await asyncio.gather(*(_one(client, t, expected, seconds, board) for t in targets)))


async def _one(
    client: AsyncTrainingClient,
    target: Target,
    expected: frozenset[str],
    seconds: float,
    board: progress.Board,
) -> errors.TrainingError | None:
    try:
        await client.wait_for_job_conditions(
            target.name,
            namespace=target.namespace,
            job_kind=target.kind,
            expected_conditions=expected,
            wait_timeout=seconds,
            callback=board.show,
        )
    except errors.TrainingError as error:
        return error
    return None
