"""The CLI commands that read jobs: `get` (`-A`, `-o table|wide|yaml|json|name`), `describe`, `logs`
(`-f` follows pods that start later, `--prefix`) and `events`.

Imported when one of them runs (jobcli registers them lazily), so `--help` does not load the models.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from training_operator.core.api.job import JobModel
from training_operator.unified import jobargs, jobcli
from training_operator.unified.sdk import errors, kinds, printing

OK, FAILED, USAGE = jobcli.OK, jobcli.FAILED, 2


def get(args: argparse.Namespace) -> int:
    """A table of jobs (of one kind, or of all when KIND is omitted), or the jobs as YAML, JSON or names."""
    if args.name and args.all_namespaces:
        print("error: a job cannot be read by name across all namespaces: drop -A or NAME", file=sys.stderr)
        return USAGE
    api = jobargs.client(args)
    every = args.all_namespaces
    if args.kind is None:
        found = []
        for kind in kinds.known_kinds():
            try:
                found += api.list_jobs(job_kind=kind, all_namespaces=every)
            except errors.KindNotInstalled:
                continue
        where = "" if every else f" in {api.namespace}"
        return _show(args, found, with_kind=True, empty=f"No jobs found{where}.")
    kind = kinds.resolve(args.kind).kind
    if args.name:
        return _show(args, [api.get_job(args.name, job_kind=kind)], with_kind=False, empty="")
    found = api.list_jobs(job_kind=kind, all_namespaces=every)
    return _show(
        args, found, with_kind=False, empty=f"No {kind}s found{'' if every else f' in {api.namespace}'}."
    )


def _show(args: argparse.Namespace, found: Sequence[JobModel], *, with_kind: bool, empty: str) -> int:
    if args.output in ("table", "wide"):
        if not found:
            print(empty)
            return OK
        table = printing.job_table(
            found,
            datetime.now(UTC),
            with_kind=with_kind,
            with_namespace=args.all_namespaces,
            wide=args.output == "wide",
        )
        print(table)
        return OK
    bodies = [job.body() for job in found]
    sys.stdout.write(printing.documents(bodies, args.output, single=bool(args.name)))
    return OK


def describe(args: argparse.Namespace) -> int:
    """Spec summary, conditions, replica statuses and events of one job."""
    api = jobargs.client(args)
    kind = kinds.resolve(args.kind).kind
    job = api.get_job(args.name, job_kind=kind)
    print(printing.describe(job, api.get_job_events(args.name, job_kind=kind), datetime.now(UTC)))
    return OK


def logs(args: argparse.Namespace) -> int:
    """The master's log by default; `-f` streams every selected pod, including those that start later,
    until the job has finished."""
    api = jobargs.client(args)
    ref = kinds.resolve(args.kind)
    filtered = args.replica_type is not None or args.index is not None or args.all
    several = args.all or (args.replica_type is not None and args.index is None)  # lines need their pod
    if args.follow:
        for line in api.stream_logs(
            args.name,
            job_kind=ref.kind,
            replicas=[args.replica_type] if args.replica_type else None,
            replica_index=args.index,
            is_master=not filtered,
            container=args.container,
            prefix=args.prefix or several,
        ):
            print(line, flush=True)
        return OK
    found, _ = api.get_job_logs(
        args.name,
        job_kind=ref.kind,
        is_master=not filtered,
        replica_type=args.replica_type,
        replica_index=args.index,
        container=args.container,
    )
    if not found:
        print(f"error: {ref.kind} {api.namespace}/{args.name} has no started pods matching", file=sys.stderr)
        return FAILED
    container = args.container or ref.default_container
    for pod, text in found.items():
        if not (args.prefix or len(found) > 1):
            sys.stdout.write(text)
            continue
        tag = f"[pod/{pod}/{container}]" if container else f"[pod/{pod}]"
        sys.stdout.write("".join(f"{tag} {line}\n" for line in text.splitlines()))
    return OK


def events(args: argparse.Namespace) -> int:
    """The events recorded on one job."""
    api = jobargs.client(args)
    kind = kinds.resolve(args.kind).kind
    api.get_job(args.name, job_kind=kind)  # a typo in the name is an error, not "no events"
    found = api.get_job_events(args.name, job_kind=kind)
    print(printing.event_table(found) if found else f"No events found for {kind.lower()}/{args.name}.")
    return OK
