"""One behaviour test, three runs: :class:`~partnercenter.PartnerClient` ("sync") and
:class:`~partnercenter.aio.AsyncPartnerClient` under asyncio and under trio.

The two clients run the same flows with different drivers, so their behaviour tests are one
test each, written once as an ``async def`` that speaks through a :class:`Flavour`:
``await flavour(pc.get_customer(x))`` awaits what the async client returns and passes the
blocking client's answer through. The blocking client runs inside the asyncio test's event loop;
on ``httpx.MockTransport`` it never waits for I/O, so nothing stalls.

A test module opts in with ``flavour, anyio_backend = flavours.fixtures()`` (one assignment:
an imported fixture would be shadowed by the test's argument of the same name).
"""

from __future__ import annotations

import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, TypeVar

import anyio
import httpx
import pytest

import partnercenter
import partnercenter.aio as aio
from partnercenter.client import Page

from .conftest import FakeApi, FakeClock
from .helpers import async_client, client

__all__ = ["FLAVOURS", "Flavour", "fixtures"]

FLAVOURS = ("sync", "asyncio", "trio")

T = TypeVar("T")


@dataclass(frozen=True)
class Flavour:
    """How a test drives the client of one flavour."""

    name: str

    @property
    def sync(self) -> bool:
        return self.name == "sync"

    @property
    def lib(self) -> ModuleType:
        """Where this flavour's credentials and client come from (same names)."""
        return partnercenter if self.sync else aio

    @property
    def client_class(self) -> type[Any]:
        return partnercenter.PartnerClient if self.sync else aio.AsyncPartnerClient

    def client(
        self, api: FakeApi, clock: FakeClock, token: str | None = None, **options: Any
    ) -> Any:
        """A client on ``api`` (MockTransport) with the fake clock (see ``helpers``)."""
        make = client if self.sync else async_client
        return make(api, clock, token, **options)

    def transport(self, api: FakeApi) -> httpx.MockTransport:
        return api.transport if self.sync else api.async_transport

    def http_client(self, api: FakeApi) -> Any:
        kind = httpx.Client if self.sync else httpx.AsyncClient
        return kind(transport=self.transport(api))

    async def __call__(self, value: Awaitable[T] | T) -> T:
        """The answer: ``value`` awaited if the async client returned an awaitable."""
        if inspect.isawaitable(value):
            return await value
        return value

    async def pages(self, pager: Any) -> list[Page]:
        """Every page of a pager, in order."""
        if self.sync:
            return list(pager.pages())
        return [page async for page in pager.pages()]

    async def items(self, pager: Any, into: list[Any] | None = None) -> list[Any]:
        """The pager's items, iterated (``for`` or ``async for``), not ``collect()``-ed; each
        is appended to ``into`` as it comes (what was seen before a failure stays there)."""
        seen = [] if into is None else into
        if self.sync:
            for item in pager:
                seen.append(item)
        else:
            async for item in pager:
                seen.append(item)
        return seen

    def fn(self, function: Callable[[Any], T]) -> Callable[[Any], Any]:
        """``function`` as ``map_concurrently`` of this flavour takes it: as it is, or a
        coroutine function that yields to the event loop first."""
        if self.sync:
            return function

        async def coroutine(item: Any) -> T:
            await anyio.sleep(0)
            return function(item)

        return coroutine

    async def pause(self, seconds: float) -> None:
        """Really wait (a mock handler holding a request open): blocking or awaited."""
        if self.sync:
            time.sleep(seconds)
        else:
            await anyio.sleep(seconds)

    @contextlib.asynccontextmanager
    async def opened(self, *things: Any) -> AsyncIterator[Any]:
        """Enter clients and credentials (``with`` or ``async with``); yields the last."""
        async with contextlib.AsyncExitStack() as stack:
            for thing in things:
                if hasattr(thing, "__aenter__"):
                    await stack.enter_async_context(thing)
                else:
                    stack.enter_context(thing)
            yield things[-1]


def fixtures() -> tuple[Any, Any]:
    """The ``flavour`` fixture (sync, asyncio, trio) and the ``anyio_backend`` it implies."""

    @pytest.fixture(params=FLAVOURS)
    def flavour(request: pytest.FixtureRequest) -> Flavour:
        return Flavour(request.param)

    @pytest.fixture()
    def anyio_backend(flavour: Flavour) -> str:
        # The blocking client's test runs in an asyncio loop (anyio needs one for async def).
        return "asyncio" if flavour.sync else flavour.name

    return flavour, anyio_backend
