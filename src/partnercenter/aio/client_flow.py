"""The async pager and the async fan-out helper: the flows of
:class:`partnercenter.client.Pager` and :func:`partnercenter._client.concurrency.map_concurrently`
run by the async driver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio

from .._client.concurrency import DEFAULT_CONCURRENCY, FanOut, Outcome, no_io
from .._client.paging import Page, PagerCore
from .._core.steps import drive_async

__all__ = ["AsyncPager", "map_concurrently"]

T = TypeVar("T")
R = TypeVar("R")


class AsyncPager(PagerCore[Awaitable["Page | None"]]):
    """Iterate the items of a collection with ``async for``, fetching pages as needed.

    Nothing is sent until iteration starts. ``pages()`` yields :class:`Page` objects;
    ``await collect()`` returns every item. Both paging styles are followed transparently.
    """

    async def pages(self) -> AsyncIterator[Page]:
        """Each page in turn, from the first (every call to ``pages()`` starts over)."""
        walk = self._walk()
        while (page := await self._run(walk.page_flow())) is not None:
            yield page

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[Any]:
        """Every item of every page, in one list."""
        return [item async for item in self]

    async def first_page(self) -> Page:
        """Only the first page."""
        page = await self._first_page()
        assert page is not None  # a new walk always has a first call
        return page


async def map_concurrently(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Outcome[T, R]]:
    """Await ``fn(item)`` for every item, at most ``concurrency`` at a time (an anyio task
    group of that many workers), and return the outcomes in the items' order. Partner Center
    errors become outcomes; any other exception cancels the rest and is raised."""
    fan: FanOut[T, R] = FanOut(items, concurrency)
    try:
        async with anyio.create_task_group() as group:
            for _ in range(fan.workers):
                group.start_soon(drive_async, fan.worker(fn), no_io, no_io)
    except BaseExceptionGroup as group_error:
        # A bug in fn: raise it as itself, not wrapped in a group of one.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise
    return fan.outcomes()
