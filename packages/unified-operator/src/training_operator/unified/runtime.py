"""The operator's life cycle: listeners, kopf (job watches, webhooks), leadership, child watches, queues.

Start-up order follows common.md §18.2: probes and metrics first, then kopf (so webhooks serve on every
replica), then — as leader only — the child watches, and only when each has listed once the reconcile
workers, so no job is ever planned against an empty index (which would re-create children or regress
counts). Shutdown (SIGTERM) stops the workers first, lets running reconciles finish, then stops kopf.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import kopf

from training_operator.core import access as access_source
from training_operator.core.errors import install_hint
from training_operator.core.kube import resources, watch
from training_operator.core.kube.client import ApiClient, ApiError, connector, proxy_options
from training_operator.core.kube.index import JobKey
from training_operator.core.kube.reconcile import Reconciler
from training_operator.core.kube.recorder import EventRecorder
from training_operator.core.kube.writer import Writer
from training_operator.unified import certs, health, preflight, webhooks
from training_operator.unified.composition import Parts, kopf_settings
from training_operator.unified.leadership import Elector, LostLeadership

__all__ = ["LostLeadership", "MissingCrd", "Status", "run"]
log = logging.getLogger(__name__)
KOPF_STOP_SECONDS = 10.0
EVENT_FLUSH_SECONDS = 2.0  # on a graceful stop, queued events get this long to be written
CERT_RETRY_SECONDS = 10.0
CERT_CHECK_SECONDS = 12 * 3600.0


class MissingCrd(Exception):
    """Gang scheduling is on but the API server does not serve its PodGroups: the operator cannot start."""


@dataclass
class Status:
    """What the probes and tests can see of a running operator."""

    kopf_ready: asyncio.Event = field(default_factory=asyncio.Event)
    reconciling: asyncio.Event = field(default_factory=asyncio.Event)
    health_port: int = 0
    metrics_port: int = 0
    client: ApiClient | None = None


async def run(
    parts: Parts,
    *,
    stop: asyncio.Event,
    access: access_source.Credentials | None = None,
    status: Status | None = None,
    signals: bool = False,
) -> None:
    """Run until `stop` is set (or leadership is lost, which raises); `signals`: SIGTERM/SIGINT set `stop`."""
    settings = parts.settings
    access = access or access_source.load(settings.kubeconfig, context=settings.context)
    status = status or Status()
    _register_login(parts.registry, access)
    async with ApiClient(
        access, qps=settings.kube_api_qps, burst=settings.kube_api_burst, observer=parts.metrics
    ) as client:
        status.client = client
        await _preflight(parts, client)
        recorder = _bind_reconcilers(parts, client)
        runners = [
            await health.serve(
                health.probes_app(ready=_readiness(parts, status)), settings.health_probe_bind_address
            ),
            await health.serve(health.metrics_app(parts.metrics.registry), settings.metrics_bind_address),
        ]
        status.health_port, status.metrics_port = (health.bound_port(r) for r in runners)
        kopf_stop = asyncio.Event()
        certificates = asyncio.create_task(_certificates(parts, client), name="certificates")
        kopf_task: asyncio.Task[None] | None = None
        try:
            if not await _first(_wait_for_certificates(parts), stop):
                return
            kopf_task = asyncio.create_task(
                _kopf(parts, stop=kopf_stop, ready=status.kopf_ready), name="kopf"
            )
            if signals:
                await _first(status.kopf_ready.wait(), stop)
                handle_signals(stop)  # kopf installed its own handlers: ours stop things in order
            await _lead_and_reconcile(
                parts, client, stop=stop, status=status, kopf_task=kopf_task, recorder=recorder
            )
        finally:
            certificates.cancel()
            kopf_stop.set()
            if kopf_task is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                    await asyncio.wait_for(kopf_task, KOPF_STOP_SECONDS)
            await asyncio.gather(certificates, return_exceptions=True)
            for runner in runners:
                await runner.cleanup()


async def _lead_and_reconcile(
    parts: Parts,
    client: ApiClient,
    *,
    stop: asyncio.Event,
    status: Status,
    kopf_task: asyncio.Task[None],
    recorder: EventRecorder,
) -> None:
    settings = parts.settings
    elector = None
    background: list[asyncio.Task[Any]] = []
    leading = True
    try:
        if settings.leader_elect:
            identity = f"{os.environ.get('MY_POD_NAME') or socket.gethostname()}_{uuid.uuid4()}"
            elector = Elector(
                client,
                name=settings.leader_election_id,
                namespace=settings.pod_namespace,
                identity=identity,
                lease_seconds=settings.lease_duration,
                renew_deadline=settings.renew_deadline,
                retry_period=settings.retry_period,
            )
            if not await _first(elector.acquire(), stop):
                return
            background.append(asyncio.create_task(elector.keep(), name="lease"))
        synced = _start_watches(parts, client, background)
        if not await _first(asyncio.gather(*(event.wait() for event in synced)), stop):
            return
        if not await _first(_prime_jobs(parts, client), stop):
            return
        background.extend(asyncio.create_task(q.run(), name=f"queue-{q.name}") for q in parts.queues.values())
        status.reconciling.set()
        parts.metrics.leader.labels(name=settings.leader_election_id).set(1)
        if parts.frameworks:
            log.info("reconciling %s", ", ".join(sorted(parts.frameworks)))
        else:
            log.warning("no framework is installed, so no job is reconciled: %s", install_hint(["all"]))
        waiters = [asyncio.create_task(stop.wait()), kopf_task, *background]
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        waiters[0].cancel()
        for task in done:
            if task is not waiters[0] and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    except LostLeadership:
        leading = False
        raise
    finally:
        parts.metrics.leader.labels(name=settings.leader_election_id).set(0)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        if leading:
            await recorder.flush(give_up_after=EVENT_FLUSH_SECONDS)
        else:  # the new leader writes from now on, events included
            recorder.discard()
        if elector is not None:
            await elector.release()


def handle_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT set `stop` (graceful shutdown), replacing any earlier handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


async def _certificates(parts: Parts, client: ApiClient) -> None:
    """Keep the webhook certificate usable: at start (retrying), then twice a day (rotation)."""
    settings = parts.settings
    if settings.disable_webhooks or not settings.manage_certificates:
        return
    while True:
        try:
            await certs.ensure(
                client,
                secret=settings.webhook_secret_name,
                namespace=settings.pod_namespace,
                service=settings.webhook_service_name,
                cert_dir=settings.webhook_cert_dir,
            )
        except (ApiError, OSError) as error:
            log.warning("webhook certificate not ready: %s; retrying", error)
            await asyncio.sleep(CERT_RETRY_SECONDS)
            continue
        await asyncio.sleep(CERT_CHECK_SECONDS)


async def _wait_for_certificates(parts: Parts) -> None:
    """kopf's webhook server needs the files; jobs are not watched before them either (common.md §18.2)."""
    settings = parts.settings
    if settings.disable_webhooks:
        return
    while True:
        if webhooks.certificates_present(settings.webhook_cert_dir):
            return
        await asyncio.sleep(1.0)


async def _require_pod_groups(parts: Parts, client: ApiClient) -> None:
    """common.md §14.1: with gang scheduling on, the matching PodGroup CRD must exist at start-up."""
    child = parts.pod_group_child()
    if child is None:
        return
    resource = resources.CHILDREN[child]
    try:
        await client.request("GET", resource.path(parts.settings.namespace or None), params={"limit": "1"})
    except ApiError as error:
        if not error.not_found:
            log.warning("cannot check that %s %s is served: %s", resource.kind, resource.api_version, error)
            return
        raise MissingCrd(
            f"crd might be missing, please install crd: {resource.kind} {resource.api_version} is not served "
            f"(--gang-scheduler-name={parts.settings.gang_scheduler_name})"
        ) from None


async def _prime_jobs(parts: Parts, client: ApiClient) -> None:
    """Every job's body in the store before the first reconcile (one paged LIST per kind): kopf delivers
    its own listing asynchronously, and a reconcile of a job it has not delivered yet would plan nothing —
    after a restart, an idle queue would then not mean the jobs were looked at."""
    namespace = parts.settings.namespace or None
    for framework in parts.frameworks.values():
        kind = framework.kind
        path = resources.of_kind(kind).path(namespace)
        params = {"limit": str(watch.PAGE_SIZE)}
        while True:
            listing = await client.request("GET", path, params=params)
            for item in listing.get("items") or []:
                meta = item.get("metadata") or {}
                body = {"apiVersion": kind.api_version, "kind": kind.kind, **item}
                parts.store.put_newer(
                    JobKey(kind.kind, meta.get("namespace") or "default", meta["name"]), body
                )
            token = (listing.get("metadata") or {}).get("continue")
            if not token:
                break
            params = {**params, "continue": str(token)}


def _start_watches(parts: Parts, client: ApiClient, tasks: list[asyncio.Task[Any]]) -> list[asyncio.Event]:
    synced = []
    namespace = parts.settings.namespace or None
    if parts.options.gang_scheduling is not None:
        # PodGroup minResources counts replica types by priority: keep the PriorityClass values current
        event = asyncio.Event()
        cache = watch.ValueCache("value", parts.priority_classes)
        coroutine = watch.follow(client, resources.PRIORITY_CLASSES, cache, synced=event, optional=True)
        tasks.append(asyncio.create_task(coroutine, name="watch-priorityclasses"))
        synced.append(event)
    for child in parts.children():
        event = asyncio.Event()
        resource = resources.CHILDREN[child]
        coroutine = watch.watch_children(
            client,
            resource,
            index=parts.index,
            selector=resources.selector(child, parts.kinds),
            namespace=namespace,
            notify=parts.notify,
            synced=event,
        )
        tasks.append(asyncio.create_task(coroutine, name=f"watch-{child.value}"))
        synced.append(event)
    return synced


async def _first(work: Any, stop: asyncio.Event) -> bool:
    """Await `work` unless `stop` comes first; True when the work finished."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return False
    task.result()
    return True


async def _preflight(parts: Parts, client: ApiClient) -> None:
    """Refuse an old server or credentials that cannot work (preflight.Refused); switch off the optional
    features this user may not use, before they are watched or planned."""
    namespace = parts.settings.namespace or None
    await preflight.check_version(client)
    await preflight.check_access(client, preflight.job_targets(parts.kinds, namespace=namespace))
    off = await preflight.forbidden_features(client, parts.children(), namespace=namespace)
    if off:
        kinds = frozenset(resources.CHILDREN[child].kind for child in off)
        options = dataclasses.replace(parts.options, without_kinds=parts.options.without_kinds | kinds)
        if parts.options.gang_scheduling is not None and "PodGroup" in kinds:
            options = dataclasses.replace(options, gang_scheduler_name="")
        parts.options = options
    await _require_pod_groups(parts, client)


def _bind_reconcilers(parts: Parts, client: ApiClient) -> EventRecorder:
    """One writer and event recorder for every kind; the recorder is returned so a stop can flush it."""
    recorder = EventRecorder(client)
    writer = Writer(client, parts.index, recorder=recorder, metrics=parts.metrics)
    for framework in parts.frameworks.values():
        parts.reconcilers[framework.kind.kind] = Reconciler(
            framework=framework,
            store=parts.store,
            index=parts.index,
            writer=writer,
            options=parts.options,
            priority_classes=parts.priority_classes,  # upstream never fills its informer, we do (§14.3)
        )
    return recorder


def _readiness(parts: Parts, status: Status) -> Callable[[], str | None]:
    def ready() -> str | None:
        settings = parts.settings
        if not settings.disable_webhooks and not webhooks.certificates_present(settings.webhook_cert_dir):
            return "certificates are not ready"
        if not status.kopf_ready.is_set():
            return "job watches are not started"
        if not settings.disable_webhooks and not webhooks.listening(settings.webhook_server_port):
            return "webhook server is not started"
        return None

    return ready


async def _kopf(parts: Parts, *, stop: asyncio.Event, ready: asyncio.Event) -> None:
    namespace = parts.settings.namespace
    await kopf.operator(
        registry=parts.registry,
        settings=kopf_settings(parts.settings),
        standalone=True,
        clusterwide=not namespace,
        namespaces=[namespace] if namespace else (),
        stop_flag=stop,
        ready_flag=ready,
    )


def _register_login(registry: kopf.OperatorRegistry, access: access_source.Credentials) -> None:
    """kopf's job watches use our credentials too. kopf calls this at start, again after a 401 and when
    the `expiration` given passes; every later call fetches afresh (a rotated file, a new exec token)."""
    calls = 0

    @kopf.on.login(registry=registry, id="training-operator-login")
    async def login(**_: Any) -> kopf.ConnectionInfo | kopf.AiohttpSession:
        nonlocal calls
        if calls:
            access.renew()
        calls += 1
        found = await asyncio.to_thread(access.login)  # an exec plug-in may run
        if access.server_name or access.impersonation or access.proxy:
            return _session_login(access, found)
        return _connection_info(found)


def _connection_info(found: access_source.Login) -> kopf.ConnectionInfo:
    """What kopf builds its own session from: an address, TLS material and the Authorization header."""
    scheme, _space, token = (found.authorization or "").partition(" ")
    certificate = found.certificate
    files = None if certificate else found.certificate_files
    return kopf.ConnectionInfo(
        server=found.server,
        scheme=scheme or None,
        token=token or None,
        ca_data=found.ca_pem,
        ca_path=None if found.ca_pem else found.ca_file,
        insecure=found.insecure,
        certificate_data=certificate[0] if certificate else None,
        private_key_data=certificate[1] if certificate else None,
        certificate_path=files[0] if files else None,
        private_key_path=files[1] if files else None,
        default_namespace=found.namespace,
        expiration=found.expires,
    )


def _session_login(access: access_source.Credentials, found: access_source.Login) -> kopf.AiohttpSession:
    """A session of our own for kopf, when the credentials need what `ConnectionInfo` cannot carry (or
    carries differently): the certificate's name (kubeconfig tls-server-name), Impersonate-* headers
    repeated per group as client-go sends them, and the proxy with its NO_PROXY decision already made.
    kopf closes it when it logs in again."""
    headers = [("Authorization", found.authorization)] if found.authorization else []
    headers += access.impersonation
    request_class = _named_requests(access.server_name) if access.server_name else aiohttp.ClientRequest
    session = aiohttp.ClientSession(
        # True, not False, for a plain-http server: an https proxy is checked with it (see ApiClient._ssl)
        connector=connector(access.proxy, limit=0, ssl=access.ssl_context() or True),
        headers=headers,
        request_class=request_class,
        cookie_jar=aiohttp.DummyCookieJar(),
        **proxy_options(access.proxy),
    )
    return kopf.AiohttpSession(
        server=found.server,
        default_namespace=found.namespace,
        expiration=found.expires,
        aiohttp_session=session,
    )


def _named_requests(server_name: str) -> type[aiohttp.ClientRequest]:
    """Requests that check the server's certificate against `server_name` and send it as SNI (kopf's own
    requests pass no `server_hostname`)."""

    class NamedRequest(aiohttp.ClientRequest):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["server_hostname"] = kwargs.get("server_hostname") or server_name
            super().__init__(*args, **kwargs)

    return NamedRequest
