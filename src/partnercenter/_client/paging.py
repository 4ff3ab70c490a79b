"""Paging through Partner Center collections, in both of its styles, and the sync pager.

A collection is ``{"totalCount", "items", "links": {"self", "next"?}, "attributes"}``
(https://learn.microsoft.com/partner-center/developer/partner-center-rest-api-reference).
The next page is named by ``links.next``:

- offset style: ``next.uri`` = ``/invoices?size=2&offset=2`` and no headers;
- continuation style: ``next.uri`` = ``/v1/customers?size=40&seekOperation=Next`` with
  ``next.headers = [{"key": "MS-ContinuationToken", "value": ...}]`` (some bodies also carry the
  token as a top-level ``continuationToken``).

URIs come with or without ``/v1``, relative or absolute; ``links`` may be absent (one page).
:func:`next_page` reads all of that into one :class:`NextPage` (pure), so the pagers follow both
styles without knowing which one an operation uses. A link is always resolved against the
client's API root: a token never follows a link to another host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from .._contract import wire
from .._core.steps import Flow
from ..errors import InvalidResponseError
from ..redaction import safe_repr, shown
from .core import ApiCall, api_path
from .responses import ApiResponse

__all__ = ["NextPage", "Page", "PagedCall", "Pager", "PagerCore", "next_page", "page_of"]

_TOKEN_HEADER: Final = wire.HEADER_CONTINUATION_TOKEN.lower()


@dataclass(frozen=True, slots=True)
class NextPage:
    """Where the next page is: ``path`` (with its query, under the API root, starting with
    ``/v1``), ``method``, and the continuation token to send as ``MS-ContinuationToken``."""

    path: str
    method: str = "GET"
    continuation_token: str | None = None

    def __repr__(self) -> str:
        # The token is opaque server state: say whether there is one, not what it is.
        token = "set" if self.continuation_token else "None"
        return f"NextPage(method={shown(self.method)}, path={shown(self.path)}, token={token})"


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a collection: its ``items``, the whole ``body``, and the ids of the call
    that fetched it (``request_id``, ``correlation_id``) for support requests."""

    items: list[Any]
    body: Any
    request_id: str
    correlation_id: str
    next: NextPage | None

    def __repr__(self) -> str:
        # Counts and ids, not the data (a page may hold thousands of records).
        return (
            f"Page(items={len(self.items)}, request_id={safe_repr(self.request_id)}, "
            f"correlation_id={safe_repr(self.correlation_id)}, next={safe_repr(self.next)})"
        )

    @property
    def continuation_token(self) -> str | None:
        """The token of the next page, when the collection pages by continuation token."""
        return self.next.continuation_token if self.next is not None else None


def _link_token(link: dict[str, Any]) -> str | None:
    headers = link.get("headers")
    if not isinstance(headers, list):
        return None
    for header in headers:
        if (
            isinstance(header, dict)
            and str(header.get("key", "")).lower() == _TOKEN_HEADER
            and isinstance(header.get("value"), str)
            and header["value"]
        ):
            return str(header["value"])
    return None


def next_page(body: Any, api_root: str) -> NextPage | None:
    """The next page named by a collection ``body``, or ``None`` when it is the last one.

    Only ``MS-ContinuationToken`` is taken from the link's headers: every other header of the
    request is the client's own.
    """
    if not isinstance(body, dict):
        return None
    links = body.get("links")
    link = links.get("next") if isinstance(links, dict) else None
    if not isinstance(link, dict):
        return None
    uri = link.get("uri")
    if not isinstance(uri, str) or not uri.strip():
        return None
    method = link.get("method")
    method = method.upper() if isinstance(method, str) and method.strip() else "GET"
    token = _link_token(link)
    if token is None and "seekoperation=next" in uri.lower():
        # The link asks for a continuation but its headers carry none: the body's copy.
        found = body.get("continuationToken")
        token = found if isinstance(found, str) and found else None
    return NextPage(api_path(uri.strip(), api_root, link=True), method, token)


def page_of(response: ApiResponse, api_root: str) -> Page:
    """A :class:`Page` from a collection answer. A body that is a bare list is one page of
    those items; an object without ``items`` is an empty page."""
    body = response.body
    if isinstance(body, list):
        items: list[Any] = body
    elif isinstance(body, dict):
        found = body.get("items")
        items = found if isinstance(found, list) else []
    else:
        items = []
    return Page(
        items=items,
        body=body,
        request_id=response.request_id,
        correlation_id=response.correlation_id,
        next=next_page(body, api_root),
    )


def follow(first: ApiCall, link: NextPage, correlation_id: str) -> ApiCall:
    """The call for the page ``link`` names: same operation (already checked before the first
    page), the link's path and query, its continuation token, the walk's correlation id."""
    headers = dict(first.headers or {})
    headers.pop(wire.HEADER_CONTINUATION_TOKEN, None)
    if link.continuation_token is not None:
        headers[wire.HEADER_CONTINUATION_TOKEN] = link.continuation_token
    return ApiCall(
        method=link.method,
        path=link.path,
        operation=first.operation,
        params=None,
        headers=headers or None,
        correlation_id=correlation_id,
    )


class PagedCall:
    """The state of one walk through a collection: which call comes next, the walk's
    correlation id, and the loop guard. :meth:`page_flow` is the walk's one flow (fetch the next
    page), which the sync and async pagers run with their driver."""

    __slots__ = ("_first", "_api_root", "_call_flow", "_next", "_seen", "correlation_id", "done")

    def __init__(
        self,
        first: ApiCall,
        api_root: str,
        correlation_id: str,
        call_flow: Callable[[ApiCall], Flow[ApiResponse]],
    ) -> None:
        self._first = first
        self._api_root = api_root
        self._call_flow = call_flow
        # Every page of one walk shares a correlation id: they are one logical operation.
        self.correlation_id = first.correlation_id or correlation_id
        self._next: ApiCall | None = ApiCall(
            method=first.method,
            path=first.path,
            operation=first.operation,
            params=first.params,
            json=first.json,
            headers=first.headers,
            ok_statuses=first.ok_statuses,
            correlation_id=self.correlation_id,
        )
        self._seen: set[tuple[str, str | None]] = set()
        self.done = False

    def next_call(self) -> ApiCall | None:
        """The call for the next page, or ``None`` when the walk is over."""
        return None if self.done else self._next

    def page_flow(self) -> Flow[Page | None]:
        """The flow that fetches the next page (``None`` when the walk is over): the client's
        call flow for :meth:`next_call`, then :meth:`received`."""
        call = self.next_call()
        if call is None:
            return None
        return self.received((yield from self._call_flow(call)))

    def received(self, response: ApiResponse) -> Page:
        """Record a page's answer and work out the call after it."""
        page = page_of(response, self._api_root)
        link = page.next
        if link is None:
            self.done = True
            self._next = None
            return page
        key = (link.path, link.continuation_token)
        if key in self._seen:
            self.done = True
            raise InvalidResponseError(
                f"the API named the same next page twice ({link.path.split('?', 1)[0]}); "
                "stopping instead of looping",
                status=response.status,
                request_id=response.request_id,
                correlation_id=response.correlation_id,
                operation=self._first.name,
                method=link.method,
                path=link.path.split("?", 1)[0],
            )
        self._seen.add(key)
        self._next = follow(self._first, link, self.correlation_id)
        return page


Run = TypeVar("Run")


class PagerCore(Generic[Run]):
    """What :class:`Pager` and :class:`~partnercenter.aio.client_flow.AsyncPager` share: the
    first call, the client's call flow, and ``run``, the client's driver of one flow (blocking,
    or a coroutine). Each walk is a new :class:`PagedCall`; a page is its
    :meth:`~PagedCall.page_flow`, so the two pagers differ only in how they run it."""

    def __init__(
        self,
        run: Callable[[Flow[Page | None]], Run],
        call_flow: Callable[[ApiCall], Flow[ApiResponse]],
        first: ApiCall,
        api_root: str,
        new_id: Callable[[], str],
    ) -> None:
        self._run = run
        self._call_flow = call_flow
        self._first = first
        self._api_root = api_root
        self._new_id = new_id

    def _walk(self) -> PagedCall:
        return PagedCall(self._first, self._api_root, self._new_id(), self._call_flow)

    def _first_page(self) -> Run:
        # Nothing to walk after it: one page flow, on a walk of its own.
        return self._run(self._walk().page_flow())

    def __repr__(self) -> str:
        first = self._first
        if not isinstance(first, ApiCall):
            return f"{type(self).__name__}({safe_repr(first)})"
        return f"{type(self).__name__}({shown(first.name or f'{first.method} {first.bare_path}')})"


class Pager(PagerCore[Page | None]):
    """Iterate the items of a collection, fetching pages as needed (blocking).

    Nothing is sent until iteration starts; a failure (including a pre-flight refusal) is raised
    by the iteration. ``pages()`` yields :class:`Page` objects instead; ``collect()`` returns
    every item in a list. Both paging styles are followed transparently.
    """

    def pages(self) -> Iterator[Page]:
        """Each page in turn, from the first (every call to ``pages()`` starts over)."""
        walk = self._walk()
        while (page := self._run(walk.page_flow())) is not None:
            yield page

    def __iter__(self) -> Iterator[Any]:
        for page in self.pages():
            yield from page.items

    def collect(self) -> list[Any]:
        """Every item of every page, in one list."""
        return list(self)

    def first_page(self) -> Page:
        """Only the first page (e.g. to read ``totalCount`` or a continuation token)."""
        page = self._first_page()
        assert page is not None  # a new walk always has a first call
        return page
