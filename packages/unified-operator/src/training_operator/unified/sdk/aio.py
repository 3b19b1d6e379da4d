"""AsyncTrainingClient: the same methods as TrainingClient, as coroutines, on one aiohttp session.

Waits and followed logs are real streams (a watch, one task per pod), so many jobs can be followed from one
event loop; cancel any call with `asyncio.timeout`. Use `async with AsyncTrainingClient() as client:` so the
session closes. The methods are declared once for both clients (`surface.py`); streaming ones are async
iterators here (close one you leave early with `contextlib.aclosing`).
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from training_operator.unified.sdk import driving, kinds
from training_operator.unified.sdk.surface import Awaiting
from training_operator.unified.sdk.transport import AsyncApi

if TYPE_CHECKING:
    import aiohttp


class AsyncTrainingClient(Awaiting):
    """Create, read, watch and delete training jobs of every installed kind (asyncio)."""

    def __init__(
        self,
        config_file: str | None = None,
        context: str | None = None,
        client_configuration: Any = None,
        namespace: str | None = None,
        job_kind: str = "PyTorchJob",
        session: aiohttp.ClientSession | None = None,
        strict: bool = True,
    ) -> None:
        """`strict`: as TrainingClient's (refuse unknown fields before sending and at the server)."""
        self.job_kind = kinds.resolve(job_kind).kind
        self.strict = strict
        self.credentials = self._connect(config_file, context, client_configuration, namespace)
        self.api = AsyncApi(self.credentials, session)
        self.driver = driving.AsyncDriver(self.api)

    async def __aenter__(self) -> AsyncTrainingClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session (unless it was passed in)."""
        await self.api.close()
