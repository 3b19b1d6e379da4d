"""How requests prove who they are: the `Authorization` header of one kubeconfig user or service account,
kept current the way client-go keeps it.

- `TokenFile`: a projected service-account token (or a kubeconfig `tokenFile`) is re-read at most a minute
  after the last read, and at once after a 401 (the kubelet rotates the file; client-go re-reads it every
  minute).
- `ExecPlugin`: the plug-in's token is reused until shortly before its `expirationTimestamp`, and fetched
  again after a 401; concurrent 401s for the same token run the plug-in once.
- `Static`: a fixed header (kubeconfig `token`, basic auth) or none (anonymous).
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from training_operator.core.access import exec_credential
from training_operator.core.errors import AccessError

#: client-go's re-read period for token files
TOKEN_FILE_PERIOD = 60.0
#: an exec credential is renewed this long before it expires, at most (a fifth of its life when shorter)
EXEC_RENEW_MARGIN = timedelta(seconds=30)


class Auth(Protocol):
    """One way of authenticating; every method is safe to call from several threads."""

    who: str

    def header(self) -> str | None:
        """The current `Authorization` value (None: anonymous); may refresh, which may block."""

    def due(self) -> bool:
        """Whether `header()` would block now (an exec plug-in must run): async callers use a thread."""

    def invalidate(self, sent: str | None) -> None:
        """The server answered 401 to `sent`: the next `header()` must not return it again."""

    def forget(self) -> None:
        """Drop what is cached, whatever it is (kopf logs in again after a 401 it does not tell us about)."""

    def expires(self) -> datetime | None:
        """When the current credential stops working, if known (kopf re-logs in then)."""

    def client_certificate(self) -> tuple[bytes, bytes] | None:
        """A client certificate and key handed out with the current credential (exec plug-ins may);
        never refreshes: ask for `header()` first."""


@dataclass
class Static:
    """A fixed header, or anonymous."""

    value: str | None
    who: str

    @classmethod
    def basic(cls, username: str, password: str, *, who: str) -> Static:
        """HTTP basic auth, as kubeconfig `username`/`password` (gone from servers since 1.19)."""
        return cls("Basic " + base64.b64encode(f"{username}:{password}".encode()).decode(), who)

    def header(self) -> str | None:
        return self.value

    def due(self) -> bool:
        return False

    def invalidate(self, sent: str | None) -> None:
        return None

    def forget(self) -> None:
        return None

    def expires(self) -> datetime | None:
        return None

    def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None


class TokenFile:
    """A bearer token read from a file, re-read every `period` seconds and after a 401."""

    def __init__(self, path: Path, *, who: str, period: float = TOKEN_FILE_PERIOD) -> None:
        self.path = path
        self.who = who
        self.period = period
        self._lock = threading.Lock()
        self._value: str | None = None
        self._read_at = float("-inf")

    def header(self) -> str | None:
        with self._lock:
            if self._value is None or time.monotonic() - self._read_at >= self.period:
                self._value = self._read()
                self._read_at = time.monotonic()
            return self._value

    def _read(self) -> str:
        try:
            token = self.path.read_text().strip()
        except OSError as error:
            if self._value is not None:  # mid-rotation: keep the last token, as client-go does
                return self._value
            raise AccessError(f"cannot read the token file {self.path}: {error}") from None
        if not token:
            raise AccessError(f"the token file {self.path} is empty")
        return f"Bearer {token}"

    def due(self) -> bool:
        return False  # reading a small file does not block an event loop noticeably

    def invalidate(self, sent: str | None) -> None:
        with self._lock:
            if sent == self._value:
                self._read_at = float("-inf")

    def forget(self) -> None:
        with self._lock:
            self._read_at = float("-inf")

    def expires(self) -> datetime | None:
        return None  # a rotated file is picked up after a 401; kopf then logs in again

    def client_certificate(self) -> tuple[bytes, bytes] | None:
        return None


class ExecPlugin:
    """Credentials from a kubeconfig `exec` plug-in, renewed before they expire and after a 401."""

    def __init__(self, config: dict[str, Any], *, base: Path, cluster: dict[str, Any], who: str) -> None:
        self.config = config
        self.base = base
        self.cluster = cluster
        self.who = who
        self._lock = threading.Lock()
        self._issued: exec_credential.Issued | None = None
        self._renew_at: datetime | None = None

    def _current(self) -> exec_credential.Issued:
        with self._lock:
            if self._stale():
                obtained = datetime.now(UTC)
                issued = exec_credential.run(self.config, base=self.base, cluster=self.cluster)
                self._issued, self._renew_at = issued, _renewal(issued.expires, obtained)
            assert self._issued is not None
            return self._issued

    def _stale(self) -> bool:
        if self._issued is None:
            return True
        return self._renew_at is not None and datetime.now(UTC) >= self._renew_at

    def header(self) -> str | None:
        token = self._current().token
        return f"Bearer {token}" if token else None

    def due(self) -> bool:
        with self._lock:
            return self._stale()

    def invalidate(self, sent: str | None) -> None:
        with self._lock:
            issued = self._issued
            if issued is not None and (sent is None or sent == f"Bearer {issued.token}" or not issued.token):
                self._issued = None

    def forget(self) -> None:
        with self._lock:
            self._issued = None

    def expires(self) -> datetime | None:
        self._current()
        return self._renew_at

    def client_certificate(self) -> tuple[bytes, bytes] | None:
        """The certificate of the credential `header()` last handed out; never runs the plug-in (callers
        ask for the header first, on a thread when due)."""
        with self._lock:
            issued = self._issued
        if issued is None or not (issued.cert_pem and issued.key_pem):
            return None
        return issued.cert_pem, issued.key_pem


def _renewal(expires: datetime | None, obtained: datetime) -> datetime | None:
    if expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    return expires - min(EXEC_RENEW_MARGIN, max(expires - obtained, timedelta(0)) / 5)
