"""`training-operator local up|run|down`: the operator on the embedded local cluster (local-cluster.md §1).

The cluster itself lives in `training_operator.local` (the `local` extra), imported only here and only when a
`local` command runs, so the operator image never needs it. CRDs are generated from the installed frameworks'
models (`core.crd`), the same source as manifests/base/crds, so no file has to be shipped or located.
Every operator started here runs with leader election: `local up` in one terminal and `local run` in another
never both write.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from training_operator.core import access, discovery
from training_operator.unified import settings

if TYPE_CHECKING:  # the HTTP client loads with the command that talks to the cluster, not with `--help`
    from training_operator.core.kube.client import ApiClient

MISSING = "the local cluster is not installed: pip install 'training-operator[local]'"
#: The local node runs a container that sets no workingDir here, standing in for the image's WORKDIR.
WORKDIR_ANNOTATION = "local.training-operator.io/working-dir"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def register(commands: Any) -> None:
    """Add `local up`, `local run` and `local down`."""
    local = commands.add_parser("local", help="run jobs on the embedded single-machine cluster")
    sub = local.add_subparsers(title="local commands", metavar="COMMAND")
    up = sub.add_parser("up", help="start the local cluster and the operator in the foreground")
    up.add_argument("--port", type=int, default=0, help="API server port on 127.0.0.1 (default: any)")
    run = sub.add_parser("run", help="run one job YAML to completion on the local cluster")
    run.add_argument("job", type=Path, help="a TFJob/PyTorchJob/MXJob/XGBoostJob/MPIJob manifest")
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
        from training_operator.local import cluster, daemon
    except ImportError:
        print(MISSING, file=sys.stderr)
        raise SystemExit(3) from None
    return cluster, daemon


def operator_settings(kubeconfig: Path) -> settings.Settings:
    """The operator as it runs next to a local cluster: leader-elected, no webhooks, ephemeral ports."""
    return settings.parse(
        [
            "--kubeconfig",
            str(kubeconfig),
            "--leader-elect",
            "--disable-webhooks",
            "--metrics-bind-address=127.0.0.1:0",
            "--health-probe-bind-address=127.0.0.1:0",
        ],
        environ={"MY_POD_NAMESPACE": "default"},
    )


async def apply_crds(client: ApiClient) -> None:
    """Create (or replace) the CRD of every installed framework."""
    from training_operator.core import crd
    from training_operator.core.kube.client import ApiError

    for framework in discovery.discover().values():
        body = crd.crd_for(framework)
        name = body["metadata"]["name"]
        try:
            await client.request("POST", CRDS, body=body)
        except ApiError as error:
            if not error.already_exists:
                raise
            current = await client.request("GET", f"{CRDS}/{name}")
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            await client.request("PUT", f"{CRDS}/{name}", body=body)


def _up(args: argparse.Namespace) -> int:
    cluster_module, daemon = _local()
    state_dir = args.state_dir or cluster_module.default_state_dir()

    async def serve() -> None:
        async with cluster_module.LocalCluster(state_dir, port=args.port) as cluster:
            stop = _stop_on_signals()  # after the cluster's start, which installs handlers of its own
            daemon.write_pid_file(Path(state_dir), cluster.url)
            print(
                f"local cluster at {cluster.url}\n  export KUBECONFIG={cluster.kubeconfig_path}", flush=True
            )
            try:
                await _operate(Path(cluster.kubeconfig_path), stop)
            finally:
                daemon.remove_pid_file(Path(state_dir))

    asyncio.run(serve())
    return 0


def _run(args: argparse.Namespace) -> int:
    _, daemon = _local()
    documents = [d for d in yaml.safe_load_all(args.job.read_text()) if d]
    if len(documents) != 1:
        print(f"error: {args.job} must hold exactly one job, found {len(documents)}", file=sys.stderr)
        return 2
    job = with_working_dir(documents[0], args.job.resolve().parent)
    from training_operator.unified import follow, logs

    follow.served_kind(job)  # a kind that is not installed is refused before anything starts
    kubeconfig = Path(daemon.ensure_running(args.state_dir))
    from training_operator.core.kube.client import ApiClient

    logs.configure(json_logs=False, level="error")  # the job's output is the point here, not the operator's

    async def go() -> int:
        stop = _stop_on_signals()
        async with ApiClient(access.load(str(kubeconfig))) as client:
            await apply_crds(client)  # before the job: its kind must exist when it is created
        operator = asyncio.create_task(_operate(kubeconfig, stop))
        try:
            async with ApiClient(access.load(str(kubeconfig))) as client:
                return await follow.run_job(client, job, logs=args.follow)
        finally:
            stop.set()
            await asyncio.gather(operator, return_exceptions=True)

    return asyncio.run(go())


def with_working_dir(job: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The job with every replica's pods starting in `folder` (the job file's), unless they set their own.

    Example jobs run `python3 train.py` from their image's WORKDIR on a cluster; locally the scripts sit next
    to the job file. The annotation only affects the local node.
    """
    spec = job.get("spec") or {}
    for key, replicas in spec.items():
        if not key.endswith("ReplicaSpecs") or not isinstance(replicas, dict):
            continue
        for replica in replicas.values():
            template = (replica or {}).setdefault("template", {})
            annotations = template.setdefault("metadata", {}).setdefault("annotations", {})
            annotations.setdefault(WORKDIR_ANNOTATION, str(folder))
    return job


def _down(args: argparse.Namespace) -> int:
    _, daemon = _local()
    if not daemon.stop(args.state_dir):
        print("no local cluster is running")
    return 0


async def _operate(kubeconfig: Path, stop: asyncio.Event) -> None:
    from training_operator.core.kube.client import ApiClient
    from training_operator.unified import composition, runtime

    config_ = operator_settings(kubeconfig)
    credentials = access.load(str(kubeconfig))
    async with ApiClient(credentials) as client:
        await apply_crds(client)
    await runtime.run(composition.compose(config_), stop=stop, access=credentials, signals=True)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    return stop
