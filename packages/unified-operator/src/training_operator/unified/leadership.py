"""Leader election on a `coordination.k8s.io/v1` Lease, as controller-runtime does it (`--leader-elect`).

Only the leader watches children and writes; every replica serves health, metrics and webhooks. The Lease
is taken and renewed with resourceVersion preconditions, so two replicas can never both believe they lead:
a replica that cannot renew within the renew deadline stops writing and exits (the Deployment restarts it),
rather than risk writing next to a new leader.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from training_operator.core.kube.client import ApiClient, ApiError
from training_operator.core.kube.resources import LEASES

log = logging.getLogger(__name__)
LEASE_SECONDS = 15  # controller-runtime defaults: lease 15 s, renew deadline 10 s, retry 2 s
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0


class LostLeadership(Exception):
    """The Lease could not be renewed in time; this replica must stop writing."""


class Elector:
    """Acquire, then keep, one Lease."""

    def __init__(
        self,
        client: ApiClient,
        *,
        name: str,
        namespace: str,
        identity: str,
        lease_seconds: int = LEASE_SECONDS,
        renew_deadline: float = RENEW_DEADLINE,
        retry_period: float = RETRY_PERIOD,
    ) -> None:
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_seconds = lease_seconds
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period

    async def acquire(self) -> None:
        """Return once this replica holds the Lease."""
        while True:
            if await self.try_acquire():
                break
            await asyncio.sleep(self.retry_period)
        log.info("became leader (lease %s/%s)", self.namespace, self.name)

    async def keep(self) -> None:
        """Renew until cancelled; raise `LostLeadership` when a renewal misses the deadline."""
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            await asyncio.sleep(self.retry_period)
            try:
                # bounded by the deadline, as client-go bounds a renewal: a request waiting out a busy
                # server's Retry-After must not keep this replica leading past its Lease
                async with asyncio.timeout(max(renewed + self.renew_deadline - loop.time(), 0.0)):
                    if await self.try_acquire():
                        renewed = loop.time()
                        continue
            except TimeoutError:
                log.warning("lease renewal did not finish within the renew deadline")
            except (ApiError, OSError) as error:
                log.warning("lease renewal failed: %s", error)
            if loop.time() - renewed > self.renew_deadline:
                raise LostLeadership(
                    f"lease {self.namespace}/{self.name} not renewed for {self.renew_deadline}s"
                )

    async def try_acquire(self) -> bool:
        """One attempt: create, renew ours, or take over an expired one; False if someone else holds it."""
        path = LEASES.path(self.namespace, self.name)
        try:
            lease = await self.client.request("GET", path)
        except ApiError as error:
            if not error.not_found:
                raise
            return await self._write("POST", LEASES.path(self.namespace), self._lease(None, transitions=0))
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        if holder not in (None, "", self.identity) and not _expired(spec):
            return False
        transitions = int(spec.get("leaseTransitions") or 0) + (0 if holder == self.identity else 1)
        acquired = spec.get("acquireTime") if holder == self.identity else None
        body = self._lease(lease, transitions=transitions, acquired=acquired)
        return await self._write("PUT", path, body)

    async def release(self) -> None:
        """Give the Lease up on a clean shutdown, so the next leader need not wait for expiry."""
        path = LEASES.path(self.namespace, self.name)
        try:
            lease = await self.client.request("GET", path)
            if (lease.get("spec") or {}).get("holderIdentity") == self.identity:
                lease["spec"]["holderIdentity"] = None
                await self.client.request("PUT", path, body=lease)
        except (ApiError, OSError, TimeoutError) as error:
            log.debug("lease release failed: %s", error)

    async def _write(self, method: str, path: str, body: dict[str, Any]) -> bool:
        try:
            await self.client.request(method, path, body=body)
        except ApiError as error:
            if error.status == 409:
                return False  # someone else wrote first: they lead
            raise
        return True

    def _lease(
        self, current: dict[str, Any] | None, *, transitions: int, acquired: str | None = None
    ) -> dict[str, Any]:
        now = _micro(datetime.now(UTC))
        metadata = dict((current or {}).get("metadata") or {"name": self.name, "namespace": self.namespace})
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": metadata,
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.lease_seconds,
                "acquireTime": acquired or now,
                "renewTime": now,
                "leaseTransitions": transitions,
            },
        }


def _expired(spec: dict[str, Any]) -> bool:
    renewed = spec.get("renewTime")
    if not renewed:
        return True
    when = datetime.strptime(renewed.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return datetime.now(UTC) > when + timedelta(
        seconds=int(spec.get("leaseDurationSeconds") or LEASE_SECONDS)
    )


def _micro(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
