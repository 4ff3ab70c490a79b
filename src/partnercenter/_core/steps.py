"""The steps a flow yields, and the two drivers that carry them out: one blocking, one async.

Every credential and client call is written once, as a generator (a *flow*) that yields what
it needs done and is sent the answers, as ``httpx.Auth.auth_flow`` does:

=====================================  ==========================================================
the flow yields                         and is sent
=====================================  ==========================================================
an ``httpx.Request``                    its ``httpx.Response`` (a transport error is thrown in)
:class:`Sleep` ``(seconds)``            ``None``, once waited
:class:`Prompt` ``(callback, value)``   what ``callback(value)`` returned (awaited if awaitable)
:class:`NeedToken` ``(stale)``          an access token from the driver's token source
:class:`Blocking` ``(function, args)``  ``function(*args)``: a store or keyring call
:class:`Within` ``(context, body)``    what ``body(entered)``'s flow returned, run in ``context``
=====================================  ==========================================================

The flow returns its result (``StopIteration.value``). :func:`drive` runs it with blocking
calls; :func:`drive_async` with ``await`` under asyncio or trio, where blocking work
(:class:`Blocking` of a plain function: the file store's lock and fsync, an OS keyring on
D-Bus) runs in a worker thread so the event loop never stalls. An error raised by any step is
thrown into the flow at its ``yield``, so a flow catches what it can handle (a connection
failure to retry, a refused refresh token) and lets the rest through.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:
    import anyio

__all__ = [
    "Blocking",
    "Flow",
    "FlowLock",
    "NeedToken",
    "Prompt",
    "Sleep",
    "Step",
    "Within",
    "drive",
    "drive_async",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds`` (the driver's sleep: the credential's or client's ``Timing``)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Prompt:
    """Show something to the user: ``callback(value)`` (a device code to enter). Under the
    async driver the callback may be a coroutine function."""

    callback: Callable[[Any], object]
    value: Any


@dataclass(frozen=True, slots=True)
class NeedToken:
    """An access token from the driver's token source; ``stale`` was refused by the API (401),
    so the source drops it first."""

    stale: Any = None


@dataclass(frozen=True, slots=True)
class Blocking:
    """Run ``function(*args)``, which may block (a refresh-token store, a keyring). The async
    driver awaits a coroutine function and runs a plain one in a worker thread unless
    ``inline`` (it never blocks: the in-memory store)."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()
    inline: bool = False


class FlowLock:
    """A lock a flow can hold across steps (one sign-in at a time per credential): a
    ``threading.Lock`` under the blocking driver, an ``anyio.Lock`` under the async one (made
    on first use, inside the event loop, since anyio primitives need one)."""

    __slots__ = ("_thread_lock", "_task_lock")

    def __init__(self) -> None:
        self._thread_lock = threading.Lock()
        self._task_lock: anyio.Lock | None = None

    def for_threads(self) -> threading.Lock:
        return self._thread_lock

    def for_tasks(self) -> anyio.Lock:
        if self._task_lock is None:
            import anyio  # noqa: PLC0415 - the blocking path never imports anyio

            self._task_lock = anyio.Lock()
        return self._task_lock


@dataclass(frozen=True, slots=True)
class Within:
    """Run the flow ``body(entered)`` inside ``context``: a :class:`FlowLock` (held), a context
    manager, or (async driver only) an async context manager such as a Redis store's rotation
    lock. The driver enters and exits it, so it is exited however the flow ends, cancellation
    included; the outer flow is sent what the inner one returned."""

    context: Any
    body: Callable[[Any], Generator[Any, Any, Any]] = field(repr=False)


Step = httpx.Request | Sleep | Prompt | NeedToken | Blocking | Within
#: A flow: yields steps, is sent their answers, returns a ``T``.
Flow = Generator[Step, Any, T]


def _no_token(stale: object) -> Any:
    raise TypeError("this flow asked for a token, but its driver has no token source")


def drive(
    flow: Flow[T],
    send: Callable[[httpx.Request], httpx.Response],
    sleep: Callable[[float], object],
    token: Callable[[Any], Any] = _no_token,
) -> T:
    """Run ``flow`` to its result with blocking calls: ``send`` a request, ``sleep``, and
    ``token(stale)`` for a :class:`NeedToken`."""
    answer: Any = None
    error: Exception | None = None
    try:
        while True:
            step = flow.send(answer) if error is None else flow.throw(error)
            answer = error = None
            try:
                if isinstance(step, httpx.Request):
                    answer = send(step)
                elif isinstance(step, Sleep):
                    sleep(step.seconds)
                elif isinstance(step, NeedToken):
                    answer = token(step.stale)
                elif isinstance(step, Prompt):
                    answer = step.callback(step.value)
                elif isinstance(step, Blocking):
                    answer = step.function(*step.args)
                else:
                    context = step.context
                    if isinstance(context, FlowLock):
                        context = context.for_threads()
                    with context as entered:
                        answer = drive(step.body(entered), send, sleep, token)
            except Exception as exc:  # thrown into the flow, which decides
                error = exc
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


async def _no_token_async(stale: object) -> Any:
    return _no_token(stale)


async def drive_async(
    flow: Flow[T],
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[object]],
    token: Callable[[Any], Awaitable[Any]] = _no_token_async,
) -> T:
    """Run ``flow`` to its result under asyncio or trio: the same steps as :func:`drive`, each
    awaited; blocking work in a worker thread."""
    answer: Any = None
    error: Exception | None = None
    try:
        while True:
            step = flow.send(answer) if error is None else flow.throw(error)
            answer = error = None
            try:
                if isinstance(step, httpx.Request):
                    answer = await send(step)
                elif isinstance(step, Sleep):
                    await sleep(step.seconds)
                elif isinstance(step, NeedToken):
                    answer = await token(step.stale)
                elif isinstance(step, Prompt):
                    answer = await _resolve(step.callback(step.value))
                elif isinstance(step, Blocking):
                    answer = await _run_blocking(step)
                else:
                    answer = await _within(step, send, sleep, token)
            except Exception as exc:  # thrown into the flow, which decides
                error = exc
    except StopIteration as stop:
        result: T = stop.value
        return result
    finally:
        flow.close()


async def _within(
    step: Within,
    send: Callable[[httpx.Request], Awaitable[httpx.Response]],
    sleep: Callable[[float], Awaitable[object]],
    token: Callable[[Any], Awaitable[Any]],
) -> Any:
    context = step.context
    if isinstance(context, FlowLock):
        context = context.for_tasks()
    if hasattr(context, "__aenter__"):
        async with context as entered:
            return await drive_async(step.body(entered), send, sleep, token)
    # A blocking context manager (a blocking Redis store's rotation lock): entered here, in
    # the event loop's thread, as a blocking store's own callers would.
    with context as entered:
        return await drive_async(step.body(entered), send, sleep, token)


async def _resolve(value: Any) -> Any:
    if inspect.isawaitable(value):
        return await value
    return value


async def _run_blocking(step: Blocking) -> Any:
    function = step.function
    if inspect.iscoroutinefunction(function):
        return await function(*step.args)
    if step.inline:
        return await _resolve(function(*step.args))
    import anyio.to_thread  # noqa: PLC0415 - only async programs pay for it

    return await _resolve(await anyio.to_thread.run_sync(functools.partial(function, *step.args)))
