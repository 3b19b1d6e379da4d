"""`training-operator local up|run|down`: the operator on the embedded local cluster (local-cluster.md §1).

`local up` runs the cluster and the operator, webhooks included, in one foreground process: one per state
directory (the cluster's lock), so a second `up` reports the first and exits 0. `local run` checks the job
file and what the machine must provide first (one line and exit 2 for anything wrong), starts that same
process as a daemon unless one runs, creates the job, follows it (`follow`) and stops the daemon again if
it started it (a cluster kept up with `local up` keeps running). Ctrl-C stops following and deletes the
job, exit 130; a second Ctrl-C exits at once.

The cluster itself lives in `training_operator.local` (the `local` extra), imported only here and only when a
`local` command runs, so the operator image never needs it. CRDs are generated from the installed frameworks'
models (`core.crd`), the same source as manifests/base/crds, so no file has to be shipped or located.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from training_operator.core import access

if TYPE_CHECKING:  # the HTTP client, the models and the operator load with the command, not with `--help`
    from collections.abc import Coroutine

    from training_operator.core.kube.client import ApiClient
    from training_operator.core.kube.resources import Resource
    from training_operator.unified import jobfile

MISSING = "the local cluster is not installed: pip install 'training-operator[local]'"
#: The local node runs a container that sets no workingDir here, standing in for the image's WORKDIR; it
#: reads it from the pod or, up the ownership chain, from the job (docs/local-cluster.md).
WORKDIR_ANNOTATION = "local.training-operator.io/working-dir"
#: how `local run` starts `local up` in the background
LAUNCHER = ("-m", "training_operator.unified", "local")
START_TIMEOUT = 120.0
REPLACE_SECONDS = 60.0
INTERRUPTED = 130


async def apply_crds(client: ApiClient) -> None:
    """Create (or replace) the CRD of every installed framework (tests install them on their own clusters)."""
    from training_operator.unified import localoperator

    await localoperator.apply_crds(client)


def register(commands: Any) -> None:
    """Add `local up`, `local run` and `local down`."""
    local = commands.add_parser("local", help="run jobs on the embedded single-machine cluster")
    sub = local.add_subparsers(title="local commands", metavar="COMMAND")
    up = sub.add_parser("up", help="start the local cluster and the operator in the foreground")
    up.add_argument("--port", type=int, default=0, help="API server port on 127.0.0.1 (default: any)")
    run = sub.add_parser("run", help="run one job YAML to completion on the local cluster")
    run.add_argument("job", type=Path, help="a job manifest of any installed kind")
    run.add_argument("--follow", action="store_true", help="stream the pods' logs too")
    down = sub.add_parser("down", help="stop the local cluster")
    for parser in (up, run, down):
        parser.add_argument(
            "--state-dir", type=Path, default=None, help="default: ~/.training-operator/local"
        )
    up.set_defaults(func=_up)
    run.set_defaults(func=_run)
    down.set_defaults(func=_down)
    local.set_defaults(func=lambda _: (local.print_help(), 2)[1])


def _local() -> Any:
    try:
        from training_operator.local import cluster, daemon, journal, statelock
    except ImportError:
        print(MISSING, file=sys.stderr)
        raise SystemExit(3) from None
    return cluster, daemon, statelock, journal


# -- local up -------------------------------------------------------------------------------------------


def _up(args: argparse.Namespace) -> int:
    cluster_module, daemon, statelock, journal = _local()
    state_dir = Path(args.state_dir or cluster_module.default_state_dir())
    if (found := daemon.is_running(state_dir)) is not None:
        print(f"a local cluster already runs on {state_dir} (pid {found.pid}) at {found.url}")
        print(f"  export KUBECONFIG={found.kubeconfig_path}", flush=True)
        return 0
    try:
        return asyncio.run(_serve(cluster_module, daemon, state_dir, args.port))
    except statelock.StateDirInUse as busy:
        print(f"{busy}; it is still starting (its log: {state_dir / daemon.LOG_FILE})")
        return 0
    except journal.JournalDamaged as damage:
        print(f"error: {damage}", file=sys.stderr)
        return 1


async def _serve(cluster_module: Any, daemon: Any, state_dir: Path, port: int) -> int:
    from training_operator.core.kube.client import ApiClient
    from training_operator.unified import collector, composition, localoperator, logconfig, runtime
    from training_operator.unified.dashboard import server as dashboard

    logconfig.configure(json_logs=False, level="info")
    async with cluster_module.LocalCluster(state_dir, port=port) as cluster:
        stop = _stop_on_signals()  # after the cluster's start, which installs handlers of its own
        kubeconfig = Path(cluster.kubeconfig_path)
        settings = localoperator.operator_settings(kubeconfig, state_dir=state_dir)
        credentials = access.load(str(kubeconfig))
        async with ApiClient(credentials) as client:
            await localoperator.apply_crds(client)
            await localoperator.register_webhooks(client, settings)
        status = runtime.Status()
        parts = composition.compose(settings)
        serving = runtime.run(parts, stop=stop, access=credentials, status=status, signals=True)
        operator = asyncio.create_task(serving, name="operator")
        try:
            if await localoperator.ready(status, settings, operator):
                collector.settle()  # the store, the operator and the dashboard are all loaded
                daemon.write_pid_file(state_dir, cluster.url, operator=True)
                print(f"local cluster at {cluster.url}\n  export KUBECONFIG={kubeconfig}", flush=True)
                await dashboard.alongside(
                    _until_done(operator),
                    stop=stop,
                    kubeconfig=str(kubeconfig),
                    announce=lambda url: print(f"  dashboard: {url}", flush=True),
                )
            await operator
        finally:
            daemon.remove_pid_file(state_dir)
            async with ApiClient(credentials) as client:
                await localoperator.unregister_webhooks(client)
    return 0


async def _until_done(task: asyncio.Task[None]) -> None:
    """The operator's task as a coroutine the dashboard can run beside."""
    await task


# -- local run ------------------------------------------------------------------------------------------


def _run(args: argparse.Namespace) -> int:
    from training_operator.unified import jobfile

    cluster_module, daemon, _, _ = _local()
    try:
        job = _checked(args.job)
    except jobfile.JobFileError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    state_dir = Path(args.state_dir or cluster_module.default_state_dir())
    running = daemon.is_running(state_dir)
    if running is not None and not running.operator:
        print(
            f"error: the local cluster on {state_dir} runs without the operator (training-operator-local "
            f"up); stop it with `training-operator-local down --state-dir {state_dir}` and run again",
            file=sys.stderr,
        )
        return 2
    try:
        kubeconfig = Path(daemon.ensure_running(state_dir, launcher=LAUNCHER, timeout=START_TIMEOUT))
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stop_cluster = (lambda: daemon.stop(state_dir)) if running is None else None
    serving = daemon.is_running(state_dir)
    body = with_working_dir(job.body, job.folder)
    work = _create_and_follow(
        kubeconfig,
        body,
        job,
        follow=args.follow,
        stop_cluster=stop_cluster,
        cluster_pid=serving.pid if serving is not None else None,
    )
    return asyncio.run(work)


def _checked(path: Path) -> jobfile.JobFile:
    """The job file, admitted as the cluster would admit it, and runnable on this machine's node."""
    from training_operator.unified import jobfile, nodecheck

    job = jobfile.load(path)
    model = job.framework.parse(job.body)
    if found := nodecheck.problems(model, job.framework.kind.replica_map_key, folder=job.folder):
        raise jobfile.JobFileError(f"{path}: cannot run on the local node: " + "; ".join(found))
    return job


async def _create_and_follow(
    kubeconfig: Path,
    body: dict[str, Any],
    job: jobfile.JobFile,
    *,
    follow: bool,
    stop_cluster: Any,
    cluster_pid: int | None,
) -> int:
    """The job's run; then the cluster stops if this run started it (a kept-up one is left running)."""
    try:
        return await _follow(kubeconfig, body, job, follow=follow, cluster_pid=cluster_pid)
    finally:
        if stop_cluster is not None:
            print("stopping the local cluster this run started", flush=True)
            await asyncio.to_thread(stop_cluster)  # in a thread: a second Ctrl-C must still get through


async def _follow(
    kubeconfig: Path, body: dict[str, Any], job: jobfile.JobFile, *, follow: bool, cluster_pid: int | None
) -> int:
    """Create the job and follow it on the SDK's watches (`follow.Follower`). The SDK client is ready before
    the job exists: a container that fails at once restarts within milliseconds, and each attempt's log is
    readable only until the next one ends."""
    import aiohttp

    from training_operator.core.kube.client import ApiClient, ApiError
    from training_operator.core.kube.resources import Resource
    from training_operator.unified.follow import Follower
    from training_operator.unified.sdk.aio import AsyncTrainingClient
    from training_operator.unified.sdk.errors import TrainingError

    kind = job.framework.kind
    resource = Resource(kind.api_version, kind.kind, kind.plural)
    namespace = (body.get("metadata") or {}).get("namespace") or "default"
    what = f"{kind.kind} {namespace}/{job.name}"
    sdk = AsyncTrainingClient(config_file=str(kubeconfig), namespace=namespace, job_kind=kind.kind)
    async with ApiClient(access.load(str(kubeconfig))) as client, sdk:
        try:
            created = await _create(client, resource, namespace, body, what=what)
        except ApiError as error:
            print(f"error: cannot create {what}: {error.message}", file=sys.stderr)
            if error.already_exists:
                hint = f"training-operator delete {kind.kind.lower()} -n {namespace} {job.name}"
                print(f"  it is still running; stop it first: {hint}", file=sys.stderr)
            return 2
        name = str(created["metadata"]["name"])  # the server's, when the file asks for a generateName
        what = f"{kind.kind} {namespace}/{name}"
        print(f"{what} created", flush=True)
        follower = Follower(sdk, kind=kind.kind, namespace=namespace, name=name, print_logs=follow)
        following = asyncio.ensure_future(_while_cluster_lives(follower.run(), cluster_pid))
        _interrupt_on_signals(following)
        try:
            return await following
        except asyncio.CancelledError:
            print(f"\ninterrupted: deleting {what}", flush=True)
            with contextlib.suppress(ApiError, OSError, aiohttp.ClientError, asyncio.TimeoutError):
                await asyncio.wait_for(client.request("DELETE", resource.path(namespace, name)), 10)
            return INTERRUPTED
        except (ClusterGone, TrainingError) as error:
            print(f"error: lost the local cluster while following {what}: {error}", file=sys.stderr)
            return 1


class ClusterGone(Exception):
    """The local cluster's process exited while a job was followed."""


async def _while_cluster_lives(work: Coroutine[Any, Any, int], cluster_pid: int | None) -> int:
    """The follow's outcome, unless the cluster's process exits first (`ClusterGone`): the SDK's watches
    would otherwise retry a vanished server for ever, as they rightly do on a real cluster."""
    run = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_exited(cluster_pid))
    try:
        done, _ = await asyncio.wait([run, gone], return_when=asyncio.FIRST_COMPLETED)
    finally:  # cancelled (Ctrl-C) or not: nothing of the follow outlives it
        for task in (run, gone):
            task.cancel()
        await asyncio.gather(run, gone, return_exceptions=True)
    if run in done:
        return run.result()  # the outcome, or the follow's own error
    raise ClusterGone(f"its process {cluster_pid} exited")


async def _exited(pid: int | None) -> None:
    """Return when process `pid` has exited: a pidfd becomes readable then, no polling. Without a pid (or
    a pidfd: not Linux) it never returns."""
    loop = asyncio.get_running_loop()
    exited = loop.create_future()
    try:
        if pid is None:
            raise OSError("no process to watch")
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    except OSError:
        await exited  # nothing will tell: the follow ends by itself (or by Ctrl-C)
        return
    loop.add_reader(fd, _settle, exited)
    try:
        await exited
    finally:
        loop.remove_reader(fd)
        os.close(fd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _create(
    client: ApiClient, resource: Resource, namespace: str, body: dict[str, Any], *, what: str
) -> dict[str, Any]:
    """Create the job; a finished one of the same name (an earlier run's, kept in the state dir) is
    replaced, so running an example twice just works. A job that still runs is never touched."""
    from training_operator.core.kube.client import ApiError

    params = {"fieldValidation": "Strict"}
    path = resource.path(namespace, body["metadata"].get("name", ""))
    try:
        return await client.request("POST", resource.path(namespace), body=body, params=params)
    except ApiError as error:
        if not error.already_exists or not _finished(await client.request("GET", path)):
            raise
    print(f"replacing the finished {what} of an earlier run", flush=True)
    # foreground: its pods go before it does, so the new job's pods (the same names) never meet them
    await client.request("DELETE", path, body={"propagationPolicy": "Foreground"})
    deadline = asyncio.get_running_loop().time() + REPLACE_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        try:
            await client.request("GET", path)
        except ApiError as error:
            if not error.not_found:
                raise
            break
        await asyncio.sleep(0.1)
    return await client.request("POST", resource.path(namespace), body=body, params=params)


def _finished(job: dict[str, Any]) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Succeeded", "Failed") and c.get("status") == "True" for c in conditions)


def _interrupt_on_signals(following: asyncio.Future[int]) -> None:
    """First SIGINT/SIGTERM: cancel the follow (the caller cleans up); a second one: exit now."""
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        if following.cancelled() or following.done():
            os._exit(INTERRUPTED)
        following.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, interrupt)


def with_working_dir(job: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The job annotated with `folder` (the job file's) as its pods' working directory, unless it says.

    Example jobs run `python3 train.py` from their image's WORKDIR on a cluster; locally the scripts sit next
    to the job file. The annotation only affects the local node, which reads it through the pods' owner.
    """
    metadata = dict(job.get("metadata") or {})
    annotations = dict(metadata.get("annotations") or {})
    annotations.setdefault(WORKDIR_ANNOTATION, str(folder))
    return {**job, "metadata": {**metadata, "annotations": annotations}}


# -- local down -----------------------------------------------------------------------------------------


def _down(args: argparse.Namespace) -> int:
    _, daemon, _, _ = _local()
    if not daemon.stop(args.state_dir):
        print("no local cluster is running")
    return 0


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop
