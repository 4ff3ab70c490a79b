"""The async pager and the async fan-out helper (twins of :class:`partnercenter.client.Pager`
and :func:`partnercenter.client.concurrency.map_concurrently`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import anyio

from ..client.concurrency import DEFAULT_CONCURRENCY, Outcome, check_concurrency
from ..client.core import ApiCall
from ..client.paging import Page, PagedCall
from ..client.responses import ApiResponse
from ..errors import PartnerCenterError

__all__ = ["AsyncPager", "map_concurrently"]

T = TypeVar("T")
R = TypeVar("R")


class AsyncPager:
    """Iterate the items of a collection with ``async for``, fetching pages as needed.

    Nothing is sent until iteration starts. ``pages()`` yields :class:`Page` objects;
    ``await collect()`` returns every item. Both paging styles are followed transparently.
    """

    def __init__(
        self,
        fetch: Callable[[ApiCall], Awaitable[ApiResponse]],
        first: ApiCall,
        api_root: str,
        new_id: Callable[[], str],
    ) -> None:
        self._fetch = fetch
        self._first = first
        self._api_root = api_root
        self._new_id = new_id

    async def pages(self) -> AsyncIterator[Page]:
        """Each page in turn, from the first (every call to ``pages()`` starts over)."""
        walk = PagedCall(self._first, self._api_root, self._new_id())
        while (call := walk.next_call()) is not None:
            yield walk.received(await self._fetch(call))

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[Any]:
        """Every item of every page, in one list."""
        return [item async for item in self]

    async def first_page(self) -> Page:
        """Only the first page."""
        walk = PagedCall(self._first, self._api_root, self._new_id())
        call = walk.next_call()
        assert call is not None
        return walk.received(await self._fetch(call))

    def __repr__(self) -> str:
        what = self._first.name or f"{self._first.method} {self._first.bare_path}"
        return f"AsyncPager({what})"


async def map_concurrently(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Outcome[T, R]]:
    """Await ``fn(item)`` for every item, at most ``concurrency`` at a time (an anyio task
    group of that many workers), and return the outcomes in the items' order. Partner Center
    errors become outcomes; any other exception cancels the rest and is raised."""
    limit = check_concurrency(concurrency)
    work = list(items)
    outcomes: list[Outcome[T, R] | None] = [None] * len(work)
    position = iter(range(len(work)))

    async def worker() -> None:
        # No await between taking an index and starting on it: workers never share an item.
        for index in position:
            item = work[index]
            try:
                outcomes[index] = Outcome(item, value=await fn(item))
            except PartnerCenterError as exc:
                outcomes[index] = Outcome(item, error=exc)

    try:
        async with anyio.create_task_group() as group:
            for _ in range(min(limit, len(work))):
                group.start_soon(worker)
    except BaseExceptionGroup as group_error:
        # A bug in fn: raise it as itself, not wrapped in a group of one.
        if len(group_error.exceptions) == 1:
            raise group_error.exceptions[0] from None
        raise
    return [outcome for outcome in outcomes if outcome is not None]
