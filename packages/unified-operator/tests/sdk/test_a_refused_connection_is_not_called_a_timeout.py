"""A server that refuses the connection is reported as unreachable, at once and in those words, by both SDK
transports (and so by the CLI); urllib3 files a refused connection under its timeouts, and the blocking
transport once said "the API server did not answer in 120s" in half a second."""

import asyncio
import socket

import pytest

from training_operator.core.access import Credentials
from training_operator.core.access.auth import Static
from training_operator.core.access.tls import Material
from training_operator.unified.sdk import calls, errors
from training_operator.unified.sdk.transport import AsyncApi, SyncApi

CALL = calls.Call("GET", "/api/v1/namespaces/default", "namespace default")


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def credentials(port: int) -> Credentials:
    return Credentials(
        server=f"http://127.0.0.1:{port}",
        namespace="default",
        material=Material(),
        auth=Static("Bearer a", "a"),
    )


def test_the_blocking_transport_says_unreachable(closed_port):
    api = SyncApi(credentials(closed_port))
    try:
        with pytest.raises(errors.TrainingError) as failed:
            api.request(CALL, timeout=120)
    finally:
        api.close()
    assert not isinstance(failed.value, errors.Timeout)
    message = str(failed.value)
    assert message.startswith("namespace default: cannot reach the API server: ")
    assert "Connection refused" in message
    assert "object at 0x" not in message


def test_the_async_transport_says_unreachable(closed_port):
    async def go() -> None:
        api = AsyncApi(credentials(closed_port))
        try:
            await api.request(CALL, timeout=120)
        finally:
            await api.close()

    with pytest.raises(errors.TrainingError) as failed:
        asyncio.run(go())
    assert not isinstance(failed.value, errors.Timeout)
    assert str(failed.value).startswith("namespace default: cannot reach the API server: ")
