"""What the SDK's logic asks of a transport, as data: the vocabulary between `operations` and `driving`.

Every client method is written once, as a generator that yields steps and gets their answers back: send a
request, open a stream, wait for the next line of any open stream, pause, hand a value to the caller. The
sync client runs these generators over urllib3 and threads, the async one over aiohttp and tasks
(`driving.py`), so both clients decide everything the same way by construction [httpx, h11: a sans-I/O core
driven by two transports].
"""

from __future__ import annotations

from collections.abc import Generator, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from training_operator.unified.sdk import calls, errors

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Send:
    """One request; answers with the decoded body, or raises the typed error into the generator."""

    call: calls.Call
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class SendAll:
    """Independent requests (the async client sends them at once); answers with their bodies, in order."""

    calls: tuple[calls.Call, ...]
    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Open:
    """Start streaming the lines of `call` under `key` (a watch, a followed log); answers None at once."""

    key: Hashable
    call: calls.Call


@dataclass(frozen=True, slots=True)
class Close:
    """Stop the stream under `key`; nothing more of it arrives (not even its end)."""

    key: Hashable


@dataclass(frozen=True, slots=True)
class Next:
    """Wait for the next line or end of any open stream; answers a `Line`, an `Ended`, or None after
    `timeout` seconds without either."""

    timeout: float | None = None


@dataclass(frozen=True, slots=True)
class Pause:
    """Wait before trying again (back-off after a failure)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Emit(Generic[T]):
    """A value for the caller of a streaming method (an iterator's next item)."""

    value: T


@dataclass(frozen=True, slots=True)
class Line:
    """One line of an open stream."""

    key: Hashable
    text: str


@dataclass(frozen=True, slots=True)
class Ended:
    """A stream ended: the server closed it (`error` None) or it failed."""

    key: Hashable
    error: errors.TrainingError | None = None


Step: TypeAlias = Send | SendAll | Open | Close | Next | Pause
Arrival: TypeAlias = Line | Ended | None

#: a method's logic: yields steps, gets their answers, returns the method's result
Plan: TypeAlias = Generator[Step, Any, R]
#: a streaming method's logic: yields steps and values for the caller, ends when the stream does
Stream: TypeAlias = Generator[Step | Emit[T], Any, None]


class Stepper(Generic[R]):
    """Advances a plan: hands it the answer (or error) of its last step and returns what it wants next.

    Shared by both drivers, so feeding answers and errors back into the logic is written once.
    """

    def __init__(self, plan: Generator[Any, Any, R]) -> None:
        self.plan = plan
        self._answer: Any = None
        self._error: errors.TrainingError | None = None
        self.result: R | None = None
        self.done = False

    def advance(self) -> Any:
        """The next step or Emit; None once the plan returned (its value is then in `result`)."""
        answer, error = self._answer, self._error
        self._answer, self._error = None, None
        try:
            return self.plan.throw(error) if error is not None else self.plan.send(answer)
        except StopIteration as stop:
            self.result, self.done = stop.value, True
            return None

    def answer(self, value: Any) -> None:
        """What the last step produced."""
        self._answer = value

    def fail(self, error: errors.TrainingError) -> None:
        """How the last step failed: raised inside the plan at the point that asked."""
        self._error = error

    def close(self) -> None:
        """Run the plan's cleanup (its `finally` blocks) if it did not finish."""
        self.plan.close()
