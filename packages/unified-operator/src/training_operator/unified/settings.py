"""Command-line flags → one frozen `Settings`, with Kubeflow's Go flag names and defaults (common.md §18.1,
sdk-and-ops.md C.8), so existing Deployments and kustomize patches that add flags keep working.
"""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from training_operator.core import discovery
from training_operator.core.framework import Flag
from training_operator.unified import eventloop

log = logging.getLogger(__name__)

DEFAULT_LEADER_ELECTION_ID = "1ca428e5.training-operator.kubeflow.org"
CERT_DIR = "/tmp/k8s-webhook-server/serving-certs"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the operator process is configured with."""

    metrics_bind_address: str = ":8080"
    health_probe_bind_address: str = ":8081"
    leader_elect: bool = False
    leader_election_id: str = DEFAULT_LEADER_ELECTION_ID
    lease_duration: int = 15
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    enable_schemes: tuple[str, ...] = ()
    gang_scheduler_name: str = ""
    namespace: str = ""
    controller_threads: int = 1
    webhook_server_port: int = 9443
    #: no flag (upstream listens on every interface); the local cluster's operator listens on loopback only
    webhook_host: str = "0.0.0.0"
    webhook_service_name: str = "training-operator"
    webhook_secret_name: str = "training-operator-webhook-cert"
    webhook_cert_dir: str = CERT_DIR
    disable_webhooks: bool = False
    manage_certificates: bool = True
    #: the installed plug-ins' own flags (`Flag.dest` → value as given, files as their paths)
    plugin_flags: Mapping[str, Any] = field(default_factory=dict)
    kube_api_qps: float = 50.0
    kube_api_burst: int = 100
    kubeconfig: str | None = None
    context: str | None = None
    json_logs: bool = False
    log_level: str = "info"
    pod_namespace: str = "kubeflow"
    cluster_domain: str = ""
    coalesce_seconds: float = 0.05
    event_loop: str = "auto"
    ignored: tuple[str, ...] = field(default=())


def add_flags(parser: argparse.ArgumentParser, plugins: Sequence[Flag] | None = None) -> None:
    """Declare every flag of the `run` command: ours, then those of the installed plug-ins (`plugins`)."""
    flag = parser.add_argument
    flag("--metrics-bind-address", default=":8080", help="metrics listener (default :8080)")
    flag("--health-probe-bind-address", default=":8081", help="/healthz and /readyz listener (default :8081)")
    flag("--leader-elect", action="store_true", help="elect a leader with a coordination.k8s.io Lease")
    flag("--leader-election-id", default=DEFAULT_LEADER_ELECTION_ID, help="name of the Lease")
    # controller-runtime's LeaseDuration / RenewDeadline / RetryPeriod (options there, flags here)
    flag("--leader-election-lease-duration", type=int, default=15, help="seconds (default 15)")
    flag("--leader-election-renew-deadline", type=float, default=10.0, help="seconds (default 10)")
    flag("--leader-election-retry-period", type=float, default=2.0, help="seconds (default 2)")
    flag(
        "--enable-scheme",
        action="append",
        default=[],
        metavar="SCHEME",
        help="run only this kind's controller (repeatable, case-insensitive; default: every installed kind)",
    )
    flag("--gang-scheduler-name", default="", help="'volcano', or a scheduler-plugins scheduler name")
    flag("--enable-gang-scheduling", action="store_true", help=argparse.SUPPRESS)  # v1.4.0 alias (C.8)
    flag(
        "--namespace", default=None, help="watch only this namespace (default: $KUBEFLOW_NAMESPACE, else all)"
    )
    flag("--controller-threads", type=int, default=1, help="concurrent reconciles per kind (default 1)")
    flag("--webhook-server-port", type=int, default=9443, help="admission webhook HTTPS port (default 9443)")
    flag(
        "--webhook-service-name", default="training-operator", help="Service name in the webhook certificate"
    )
    flag("--webhook-secret-name", default="training-operator-webhook-cert", help="Secret holding the certs")
    flag("--webhook-cert-dir", default=CERT_DIR, help="directory with tls.crt and tls.key")
    flag("--disable-webhooks", action="store_true", help="serve no admission webhooks")
    flag(
        "--disable-cert-management",
        action="store_true",
        help="do not generate the webhook certificate (cert-manager provides it and the CA bundle)",
    )
    flag("--mpi-kubectl-delivery-image", default=None, help=argparse.SUPPRESS)  # v1 MPIJob only: ignored
    flag("--kube-api-qps", type=float, default=50.0, help="client-side request rate limit (default 50)")
    flag("--kube-api-burst", type=int, default=100, help="client-side request burst (default 100)")
    flag(
        "--event-loop",
        default="auto",
        choices=eventloop.CHOICES,
        help="auto: uvloop where installed (default); asyncio: the standard loop",
    )
    flag("--kubeconfig", default=None, help="kubeconfig file (default: $KUBECONFIG, else in-cluster)")
    flag("--context", default=None, help="kubeconfig context (default: the current context)")
    flag("--json-logs", action="store_true", help="one JSON object per log line")
    flag("--zap-log-level", default="info", help="debug, info, error, or a number (controller-runtime name)")
    flag("--zap-encoder", default=None, choices=["json", "console"], help="json is --json-logs")
    for ignored in ("--zap-devel", "--zap-stacktrace-level", "--zap-time-encoding"):
        flag(ignored, nargs="?", const="true", default=None, help=argparse.SUPPRESS)
    owned = installed_plugin_flags() if plugins is None else plugins
    for plugin_flag in owned:
        flag(plugin_flag.name, type=plugin_flag.type, default=plugin_flag.default, help=plugin_flag.help)
    parser.set_defaults(plugin_flag_dests=tuple(f.dest for f in owned))


def installed_plugin_flags() -> list[Flag]:
    """The flags of every installed plug-in that loads, each once (two plug-ins may share one)."""
    found: dict[str, Flag] = {}
    for framework in discovery.loadable().values():
        for plugin_flag in framework.flags():
            found.setdefault(plugin_flag.name, plugin_flag)
    return list(found.values())


def from_args(args: argparse.Namespace, *, environ: Mapping[str, str] | None = None) -> Settings:
    """The frozen settings of a parsed `run` command line."""
    env = os.environ if environ is None else environ
    gang = args.gang_scheduler_name or ("volcano" if args.enable_gang_scheduling else "")
    ignored = tuple(
        name
        for name in ("mpi_kubectl_delivery_image", "zap_devel", "zap_stacktrace_level", "zap_time_encoding")
        if getattr(args, name) is not None
    )
    return Settings(
        metrics_bind_address=args.metrics_bind_address,
        health_probe_bind_address=args.health_probe_bind_address,
        leader_elect=args.leader_elect,
        leader_election_id=args.leader_election_id,
        lease_duration=args.leader_election_lease_duration,
        renew_deadline=args.leader_election_renew_deadline,
        retry_period=args.leader_election_retry_period,
        enable_schemes=tuple(dict.fromkeys(s.lower() for s in args.enable_scheme)),
        gang_scheduler_name=gang,
        namespace=args.namespace if args.namespace is not None else env.get("KUBEFLOW_NAMESPACE", ""),
        controller_threads=max(1, args.controller_threads),
        webhook_server_port=args.webhook_server_port,
        webhook_service_name=args.webhook_service_name,
        webhook_secret_name=args.webhook_secret_name,
        webhook_cert_dir=args.webhook_cert_dir,
        disable_webhooks=args.disable_webhooks,
        manage_certificates=not args.disable_cert_management,
        plugin_flags={dest: getattr(args, dest) for dest in getattr(args, "plugin_flag_dests", ())},
        kube_api_qps=args.kube_api_qps,
        kube_api_burst=args.kube_api_burst,
        event_loop=args.event_loop,
        kubeconfig=args.kubeconfig,
        context=args.context,
        json_logs=args.json_logs or args.zap_encoder == "json",
        log_level=args.zap_log_level,
        pod_namespace=env.get("MY_POD_NAMESPACE", "kubeflow"),
        cluster_domain=env.get("CUSTOM_CLUSTER_DOMAIN", ""),
        ignored=ignored,
    )


def parse(argv: Sequence[str], *, environ: Mapping[str, str] | None = None) -> Settings:
    """Parse a `run` command line on its own (tests, the local cluster)."""
    parser = argparse.ArgumentParser(prog="training-operator run")
    add_flags(parser)
    return from_args(parser.parse_args(list(argv)), environ=environ)


def bind_address(address: str) -> tuple[str, int]:
    """`:8080` → ("0.0.0.0", 8080); `127.0.0.1:0` → ("127.0.0.1", 0); "0" disables (port 0 is random)."""
    host, _, port = address.rpartition(":")
    return host or "0.0.0.0", int(port)  # the Go default listens on every interface
