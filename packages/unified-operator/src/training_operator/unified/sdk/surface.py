"""Both clients' public methods, declared once: each names its plan in `Operations`, and each client class
gets a real method for it, blocking in `TrainingClient`, a coroutine (or async iterator) in
`AsyncTrainingClient`.

The methods are real functions on each class (`inspect.signature`, `help()` and `iscoroutinefunction` see
Kubeflow's parameters and the plan's docstring), installed when the class is defined; the descriptors below
exist for type checkers, which see `TrainingClient().get_job(...) -> JobModel` and
`AsyncTrainingClient().get_job(...) -> Coroutine[..., JobModel]`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Coroutine, Iterator
from typing import Any, ClassVar, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

from training_operator.core import access
from training_operator.unified.sdk import connection, driving
from training_operator.unified.sdk.operations import JobOperations
from training_operator.unified.sdk.pods import PodOperations
from training_operator.unified.sdk.steps import Plan, Stream
from training_operator.unified.sdk.streams import StreamOperations

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class Operations(JobOperations, PodOperations, StreamOperations):
    """Every client method's logic, bound to one client's defaults (its namespace and job kind)."""


class operation(Generic[P, R]):  # noqa: N801 -- a decorator-like descriptor reads as a keyword
    """A method that runs a plan to its result."""

    def __init__(self, plan: Callable[Concatenate[Any, P], Plan[R]]) -> None:
        self.plan = plan

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Blocking, owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(self, client: Awaiting, owner: type[Any]) -> Callable[P, Coroutine[Any, Any, R]]: ...
    def __get__(self, client: object, owner: type[Any]) -> Any:
        return self  # only on `Surface` itself: each client class has its own function instead


class stream(Generic[P, T]):  # noqa: N801
    """A method that hands out a plan's values as an iterator."""

    def __init__(self, plan: Callable[Concatenate[Any, P], Stream[T]]) -> None:
        self.plan = plan

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, client: Blocking, owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(self, client: Awaiting, owner: type[Any]) -> Callable[P, AsyncGenerator[T, None]]: ...
    def __get__(self, client: object, owner: type[Any]) -> Any:
        return self


class Surface:
    """The public methods both clients have, in the order `help()` shows them."""

    create_job = operation(Operations.create_job)
    get_job = operation(Operations.get_job)
    list_jobs = operation(Operations.list_jobs)
    update_job = operation(Operations.update_job)
    apply_job = operation(Operations.apply_job)
    delete_job = operation(Operations.delete_job)
    set_job_suspended = operation(Operations.set_job_suspended)
    get_served_versions = operation(Operations.get_served_versions)
    get_job_conditions = operation(Operations.get_job_conditions)
    is_job_created = operation(Operations.is_job_created)
    is_job_running = operation(Operations.is_job_running)
    is_job_restarting = operation(Operations.is_job_restarting)
    is_job_succeeded = operation(Operations.is_job_succeeded)
    is_job_failed = operation(Operations.is_job_failed)
    wait_for_job_conditions = operation(Operations.wait_for_job_conditions)
    get_job_pods = operation(Operations.get_job_pods)
    get_job_pod_names = operation(Operations.get_job_pod_names)
    get_job_logs = operation(Operations.get_job_logs)
    get_job_events = operation(Operations.get_job_events)
    watch_jobs = stream(Operations.watch_jobs)
    stream_conditions = stream(Operations.stream_conditions)
    watch_job_pods = stream(Operations.watch_job_pods)
    stream_logs = stream(Operations.stream_logs)

    namespace: str
    job_kind: str
    #: refuse unknown fields before sending and ask the server to (`fieldValidation=Strict`) on every write
    strict: bool
    #: which driving a concrete client class gets (set by `Blocking` and `Awaiting`)
    asynchronous: ClassVar[bool | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.asynchronous is not None and "asynchronous" not in vars(cls):  # a client class
            for name, declared in Surface.methods().items():
                setattr(cls, name, _installed(cls, name, declared, asynchronous=cls.asynchronous))

    def _connect(
        self, config_file: str | None, context: str | None, client_configuration: Any, namespace: str | None
    ) -> access.Credentials:
        """Kubeflow's constructor rules: kubeconfig (or $KUBECONFIG) outside a pod, the service account
        inside one, or the given `kubernetes.client.Configuration`; the namespace from the argument, else
        the context's."""
        found = connection.connect(
            config_file=config_file,
            context=context,
            client_configuration=client_configuration,
            namespace=namespace,
        )
        self.namespace = found.namespace
        return found.credentials

    @functools.cached_property
    def operations(self) -> Operations:
        """The plans, reading this client's namespace and job kind at each call."""
        return Operations(self)

    @classmethod
    def methods(cls) -> dict[str, operation[Any, Any] | stream[Any, Any]]:
        """Every public method's declaration, by name."""
        return {k: v for k, v in vars(Surface).items() if isinstance(v, operation | stream)}


class Blocking(Surface):
    """Base of the sync client: each method runs its plan on `driver` and returns (or iterates) the result."""

    asynchronous = False
    driver: driving.BlockingDriver


class Awaiting(Surface):
    """Base of the async client: each method is a coroutine (an async iterator for streams)."""

    asynchronous = True
    driver: driving.AsyncDriver


def _installed(
    cls: type, name: str, declared: operation[Any, Any] | stream[Any, Any], *, asynchronous: bool
) -> Callable[..., Any]:
    """The real method `cls.<name>`: Kubeflow's signature and the plan's docstring, the client's driving."""
    plan = declared.plan
    method: Any
    if isinstance(declared, stream) and asynchronous:

        async def method(self: Awaiting, *args: Any, **kwargs: Any) -> Any:
            async for value in self.driver.iterate(getattr(self.operations, name)(*args, **kwargs)):
                yield value

    elif isinstance(declared, stream):

        def method(self: Blocking, *args: Any, **kwargs: Any) -> Any:
            return self.driver.iterate(getattr(self.operations, name)(*args, **kwargs))

    elif asynchronous:

        async def method(self: Awaiting, *args: Any, **kwargs: Any) -> Any:
            return await self.driver.run(getattr(self.operations, name)(*args, **kwargs))

    else:

        def method(self: Blocking, *args: Any, **kwargs: Any) -> Any:
            return self.driver.run(getattr(self.operations, name)(*args, **kwargs))

    functools.update_wrapper(method, plan)
    del method.__wrapped__  # the signature below is the one to show
    method.__qualname__ = f"{cls.__qualname__}.{name}"
    method.__module__ = cls.__module__
    method.__signature__ = _signature(plan, streaming=isinstance(declared, stream), asynchronous=asynchronous)
    return cast(Callable[..., Any], method)


def _signature(plan: Callable[..., Any], *, streaming: bool, asynchronous: bool) -> inspect.Signature:
    """The plan's signature with the client's return type: `Plan[X]` → `X`, `Stream[X]` → an iterator."""
    signature = inspect.signature(plan)
    shown = str(signature.return_annotation)
    inner = shown[shown.index("[") + 1 : -1] if "[" in shown else shown
    if streaming:  # an async generator: `contextlib.aclosing` closes one left early
        returns = f"AsyncGenerator[{inner}, None]" if asynchronous else f"Iterator[{inner}]"
    else:
        returns = inner
    return signature.replace(return_annotation=returns)
