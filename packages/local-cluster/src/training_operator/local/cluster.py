"""`LocalCluster`: the API server, the built-in controllers and the process kubelet in one event loop.

The composition root. It owns the state dir (SQLite file, token, kubeconfig, pod sandboxes and logs; one
cluster per state dir, `statelock`) and starts each part as a task; tests start it with
`async with LocalCluster(...)`, the CLI and the daemon run the same object until a signal arrives. The
operator is never started here: it connects through the kubeconfig like any client.
"""

import asyncio
import contextlib
import datetime
import logging
import os
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

from aiohttp import web

from training_operator.local import kubeconfig, statelock, tls
from training_operator.local.admission import Webhooks
from training_operator.local.catalog import Catalog
from training_operator.local.registry import Registry
from training_operator.local.server import ApiServer
from training_operator.local.storage import Storage

log = logging.getLogger(__name__)
NODE_NAME = "local-node"
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Part(Protocol):
    """A long-running piece of the control plane (controller or kubelet)."""

    async def run(self) -> None:
        """Work until cancelled."""


def default_state_dir() -> Path:
    """`$TRAINING_OPERATOR_LOCAL_DIR` or `~/.training-operator/local`."""
    env = os.environ.get("TRAINING_OPERATOR_LOCAL_DIR")
    return Path(env) if env else Path.home() / ".training-operator" / "local"


class LocalCluster:
    """`async with LocalCluster(state_dir=..., port=0) as cluster:` then `url`, `token`, `kubeconfig_path`."""

    def __init__(
        self,
        state_dir: Path | str | None = None,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        kubelet: bool = True,
        controllers: bool = True,
        network: str = "auto",
        backoff_base: float = 10.0,
        backoff_cap: float = 300.0,
        bookmark_interval: float = 10.0,
        history: int = 20000,
        require_issued_tokens: bool = False,
        kubernetes_version: str | None = None,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the local cluster listens on loopback only")
        self.state_dir = Path(state_dir) if state_dir is not None else default_state_dir()
        self.host = host
        self.requested_port = port
        self.options: dict[str, Any] = {
            "kubelet": kubelet,
            "controllers": controllers,
            "network": network,
            "backoff_base": backoff_base,
            "backoff_cap": backoff_cap,
        }
        self.bookmark_interval = bookmark_interval
        self.history = history
        #: real-cluster behaviour for tests: only short-lived tokens open the API; an older /version
        self.auth_options: dict[str, Any] = {
            "require_issued_tokens": require_issued_tokens,
            "kubernetes_version": kubernetes_version,
        }
        self.port = 0
        self.token = ""
        self.kubeconfig_path = self.state_dir / "kubeconfig"
        self.storage: Storage | None = None
        self.registry: Registry | None = None
        self.server: ApiServer | None = None
        self.kubelet: Any = None
        self.webhooks: Webhooks | None = None
        self._runner: web.ServerRunner | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closers: list[Callable[[], Awaitable[None]]] = []
        self._lock: int | None = None

    @property
    def ca_path(self) -> Path:
        """The CA certificate clients must trust."""
        return self.state_dir / tls.CA_FILE

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context trusting this cluster's CA."""
        return tls.client_context(self.state_dir)

    @property
    def url(self) -> str:
        """Base URL of the API server."""
        return f"https://{self.host}:{self.port}"

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Open storage, seed system objects, start serving and start every part."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = statelock.acquire(self.state_dir)  # before anything in the state dir is touched
        try:
            await self._start()
        except BaseException:
            await self.stop()  # releases the lock too: a failed start leaves the state dir free
            raise

    async def _start(self) -> None:
        self.token = kubeconfig.load_or_create_token(self.state_dir)
        self.storage = Storage(self.state_dir / "journal.jsonl", history=self.history)
        self.registry = Registry(self.storage, Catalog())
        await self._seed()
        self.webhooks = Webhooks(self.registry)
        self.registry.admission = self.webhooks
        self.kubelet = self._make_kubelet()
        self.server = ApiServer(
            self.registry,
            token=self.token,
            logs=self.kubelet,
            bookmark_interval=self.bookmark_interval,
            **self.auth_options,
        )
        self._runner = web.ServerRunner(self.server.http_server(), handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.host,
            self.requested_port,
            ssl_context=tls.server_context(self.state_dir),
        )
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert isinstance(server, asyncio.base_events.Server)
        self.port = server.sockets[0].getsockname()[1]
        self.kubeconfig_path = kubeconfig.write(
            self.state_dir, self.url, self.token, (self.state_dir / tls.CA_FILE).read_bytes()
        )
        for part in self._parts():
            self._tasks.append(asyncio.create_task(self._supervise(part), name=type(part).__name__))
        log.info("local cluster serving at %s (state %s)", self.url, self.state_dir)

    def _make_kubelet(self) -> Any:
        if not self.options["kubelet"]:
            return None
        from training_operator.local.kubelet import Kubelet

        assert self.registry is not None
        return Kubelet(
            self.registry,
            self.state_dir / "pods",
            node_name=NODE_NAME,
            network=self.options["network"],
            backoff_base=self.options["backoff_base"],
            backoff_cap=self.options["backoff_cap"],
        )

    def _parts(self) -> list[Part]:
        assert self.registry is not None
        parts: list[Part] = []
        if self.options["controllers"]:
            from training_operator.local.controllers import builtin_controllers

            parts += builtin_controllers(
                self.registry, node_name=NODE_NAME, backoff_base=self.options["backoff_base"]
            )
        if self.kubelet is not None:
            parts.append(self.kubelet)
        return parts

    async def _supervise(self, part: Part) -> None:
        """Keep a part running: a crash is logged and the part restarted, as a controller manager does."""
        while True:
            try:
                await part.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s crashed; restarting", type(part).__name__)
                await asyncio.sleep(1)

    async def _seed(self) -> None:
        assert self.registry is not None
        namespaces = self.registry.catalog.lookup("", "v1", "namespaces")
        nodes = self.registry.catalog.lookup("", "v1", "nodes")
        assert namespaces is not None
        assert nodes is not None
        for name in SYSTEM_NAMESPACES:
            if self.registry.find(namespaces, "", name) is None:
                await self.registry.create(namespaces, "", {"metadata": {"name": name}})
        if self.registry.find(nodes, "", NODE_NAME) is None:
            from training_operator.local.node import node_object

            await self.registry.create(nodes, "", node_object(NODE_NAME, datetime.datetime.now(datetime.UTC)))

    async def stop(self) -> None:
        """Stop the parts (the kubelet terminates its processes), close the server and storage."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.kubelet is not None:
            await self.kubelet.shutdown()
        if self.server is not None:
            self.server.watches.cut_all()
        if self._runner is not None:
            # Abort client connections first: a graceful TLS shutdown waits for peers that may never answer
            # (an idle keep-alive socket of a blocked synchronous client in the same process).
            if self._runner.server is not None:
                for handler in list(self._runner.server.connections):
                    if handler.transport is not None:
                        handler.transport.abort()
            await self._runner.cleanup()
            self._runner = None
        if self.webhooks is not None:
            await self.webhooks.close()
        if self.storage is not None:
            self.storage.close()
            self.storage = None
        if self._lock is not None:
            statelock.release(self._lock)
            self._lock = None
