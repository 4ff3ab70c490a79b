"""The two drivers of ``partnercenter._core.steps`` carry out every step the same way: the same
flows, run blocking, under asyncio and under trio (the async cases run on both backends)."""

from __future__ import annotations

import threading
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any

import anyio
import httpx
import pytest

from partnercenter._core.steps import (
    Blocking,
    Flow,
    FlowLock,
    NeedToken,
    Prompt,
    Sleep,
    Within,
    drive,
    drive_async,
)

from .drivers import DRIVERS, Driver

RESPONSE = httpx.Response(204)


class Io:
    """What a driver is given: a send, a sleep and a token source that record their calls."""

    def __init__(self, fail_sends: int = 0) -> None:
        self.sent: list[httpx.Request] = []
        self.slept: list[float] = []
        self.stale: list[object] = []
        self.fail_sends = fail_sends

    def send(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.fail_sends:
            self.fail_sends -= 1
            raise httpx.ConnectError("refused", request=request)
        return RESPONSE

    async def asend(self, request: httpx.Request) -> httpx.Response:
        return self.send(request)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def token(self, stale: object) -> str:
        self.stale.append(stale)
        return "token"

    async def atoken(self, stale: object) -> str:
        return self.token(stale)


def run(driver: Driver, flow: Flow[Any], io: Io) -> Any:
    if not driver.asynchronous:
        return drive(flow, io.send, io.sleep, io.token)
    return driver.run(drive_async, flow, io.asend, io.asleep, io.atoken)


@pytest.fixture(params=DRIVERS)
def driver(request: pytest.FixtureRequest) -> Driver:
    return Driver(request.param)


def every_step(shown: list[object]) -> Flow[tuple[Any, ...]]:
    response = yield httpx.Request("GET", "https://login.example/")
    slept = yield Sleep(1.5)

    def show(value: object) -> str:
        shown.append(value)
        return "shown"

    prompted = yield Prompt(show, "ABCD-EFGH")
    token = yield NeedToken(stale="old")
    blocked = yield Blocking(lambda a, b: a + b, (2, 3))
    return response.status_code, slept, prompted, token, blocked


def test_every_step_is_carried_out_and_answered(driver: Driver) -> None:
    io, shown = Io(), list[object]()
    assert run(driver, every_step(shown), io) == (204, None, "shown", "token", 5)
    assert len(io.sent) == 1 and io.slept == [1.5] and io.stale == ["old"]
    assert shown == ["ABCD-EFGH"]


def retrying() -> Flow[int]:
    for attempt in range(3):
        try:
            yield httpx.Request("GET", "https://login.example/")
        except httpx.ConnectError:
            yield Sleep(attempt + 1.0)
            continue
        return attempt
    raise AssertionError("unreachable")


def test_a_failed_step_is_thrown_into_the_flow_which_decides(driver: Driver) -> None:
    io = Io(fail_sends=2)
    assert run(driver, retrying(), io) == 2
    assert io.slept == [1.0, 2.0] and len(io.sent) == 3


def failing_blocking() -> Flow[None]:
    yield Blocking(lambda: 1 / 0)
    raise AssertionError("the error must come out of the yield")


def test_an_error_the_flow_does_not_catch_comes_out_as_itself(driver: Driver) -> None:
    with pytest.raises(ZeroDivisionError):
        run(driver, failing_blocking(), Io())


def test_a_flow_asking_for_a_token_without_a_source_is_a_type_error() -> None:
    def asks() -> Flow[object]:
        token = yield NeedToken()
        return token

    with pytest.raises(TypeError, match="no token source"):
        drive(asks(), Io().send, Io().sleep)


def where_blocking_runs(inline: bool) -> Flow[tuple[int, int]]:
    here = yield Blocking(threading.get_ident)
    there = yield Blocking(threading.get_ident, (), inline)
    return here, there


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_driver_runs_blocking_work_in_a_worker_thread_unless_inline(backend: str) -> None:
    loop_thread: list[int] = []

    async def main() -> tuple[int, int]:
        loop_thread.append(threading.get_ident())
        io = Io()
        result: tuple[int, int] = await drive_async(
            where_blocking_runs(inline=True), io.asend, io.asleep
        )
        return result

    in_worker, inline = anyio.run(main, backend=backend)
    assert in_worker != loop_thread[0] and inline == loop_thread[0]
    # The blocking driver runs everything in the caller's thread.
    io = Io()
    assert drive(where_blocking_runs(inline=False), io.send, io.sleep) == (
        threading.get_ident(),
        threading.get_ident(),
    )


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_async_driver_awaits_coroutine_functions_and_awaitable_prompts(backend: str) -> None:
    async def load(key: str) -> str:
        await anyio.sleep(0)
        return f"value of {key}"

    async def show(value: str) -> str:
        await anyio.sleep(0)
        return f"showed {value}"

    def flow() -> Flow[tuple[str, str]]:
        loaded = yield Blocking(load, ("k",))
        shown = yield Prompt(show, "code")
        return loaded, shown

    io = Io()
    result = anyio.run(drive_async, flow(), io.asend, io.asleep, backend=backend)
    assert result == ("value of k", "showed code")


def test_within_holds_a_flow_lock_across_steps(driver: Driver) -> None:
    lock = FlowLock()
    held: list[bool] = []

    def inner(_: object) -> Flow[str]:
        held.append(
            lock.for_tasks().locked() if driver.asynchronous else lock.for_threads().locked()
        )
        yield Sleep(0.1)
        return "done"

    def outer() -> Flow[str]:
        result: str = yield Within(lock, inner)
        return result

    assert run(driver, outer(), Io()) == "done"
    assert held == [True]
    assert not lock.for_threads().locked()


def test_within_exits_a_context_manager_when_the_inner_flow_fails(driver: Driver) -> None:
    events: list[str] = []

    @contextmanager
    def rotation() -> Generator[str]:
        events.append("enter")
        try:
            yield "view"
        finally:
            events.append("exit")

    def inner(view: str) -> Flow[None]:
        events.append(view)
        yield Sleep(0)
        raise LookupError("refused")

    def outer() -> Flow[None]:
        yield Within(rotation(), inner)

    with pytest.raises(LookupError):
        run(driver, outer(), Io())
    assert events == ["enter", "view", "exit"]


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_within_releases_an_async_context_on_cancellation(backend: str) -> None:
    events: list[str] = []

    class Rotation:
        async def __aenter__(self) -> str:
            events.append("enter")
            return "view"

        async def __aexit__(self, *exc: object) -> None:
            events.append("exit")

    def inner(view: str) -> Flow[None]:
        yield Sleep(3600)

    def outer() -> Flow[None]:
        yield Within(Rotation(), inner)

    async def main() -> None:
        with anyio.move_on_after(0.05):
            await drive_async(outer(), Io().asend, anyio.sleep)

    anyio.run(main, backend=backend)
    assert events == ["enter", "exit"]


def test_a_cancelled_flow_is_closed_not_thrown_into() -> None:
    finished: list[str] = []

    def flow() -> Flow[None]:
        try:
            yield Sleep(3600)
        except BaseException as exc:  # noqa: BLE001 - recording what the flow was sent
            finished.append(type(exc).__name__)
            raise

    async def main() -> None:
        with anyio.move_on_after(0.05):
            await drive_async(flow(), Io().asend, anyio.sleep)

    anyio.run(main)
    assert finished == ["GeneratorExit"]
