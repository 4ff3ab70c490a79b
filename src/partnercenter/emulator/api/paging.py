"""Collections in Partner Center's shape, and its two paging styles.

A collection is ``{"totalCount", "items", "links": {"self", "next"?}, "attributes":
{"objectType": "Collection"}}``. ``totalCount`` is the number of items in *this* page, as the
official SDKs' ``ResourceCollection`` sets it, so the sum over a walk is the collection size.

- Offset style: ``links.next.uri`` = ``/invoices?size=2&offset=2``, no headers.
- Continuation style: ``links.next.uri`` = ``/v1/customers?size=40&seekOperation=Next`` with
  ``links.next.headers = [{"key": "MS-ContinuationToken", "value": ...}]``; the client sends
  the URI with that header. Some bodies (audit records, Azure utilization) also carry the
  token as a top-level ``continuationToken``.

Continuation tokens are stateless: the position, page size and a fingerprint of the query
(filters must not change mid-walk), signed with a per-process HMAC key so a forged or
mangled token is a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from ..._contract.operations import Paging
from ..._contract.wire import HEADER_CONTINUATION_TOKEN
from .call import Call, Json, int_param
from .errors import invalid

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_TOKEN_MAX_CHARS = 512


def link(uri: str, method: str = "GET", headers: Sequence[tuple[str, str]] = ()) -> Json:
    """A Partner Center link object."""
    return {
        "uri": uri,
        "method": method,
        "headers": [{"key": key, "value": value} for key, value in headers],
    }


def collection(
    items: list[Any],
    *,
    self_uri: str | None,
    next_link: Json | None = None,
    extra: Json | None = None,
) -> Json:
    """A collection body; ``extra`` top-level fields (e.g. ``continuationToken``) go first."""
    body: Json = {"totalCount": len(items), "items": items}
    if extra:
        body.update(extra)
    links: Json = {}
    if self_uri is not None:
        links["self"] = link(self_uri)
    if next_link is not None:
        links["next"] = next_link
    if links:
        body["links"] = links
    body["attributes"] = {"objectType": "Collection"}
    return body


def _uri(base: str, query: dict[str, str]) -> str:
    return f"{base}?{urlencode(query)}" if query else base


#: (default, largest) page size an operation allows.
_Sizes = tuple[int, int]


class PageCutter:
    """Cuts a list into pages in either style; owns the continuation-token signing key."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def page(
        self,
        call: Call,
        items: Sequence[Any],
        *,
        base: str,
        keep: dict[str, str] | None = None,
        default_size: int = DEFAULT_PAGE_SIZE,
        max_size: int = MAX_PAGE_SIZE,
        body_token: bool = False,
    ) -> Json:
        """One page of ``items``, in the paging style the catalog declares for the operation.

        ``base`` is the path the links name, ``keep`` the query parameters they carry on,
        ``body_token`` (continuation style) puts the token in the body too.
        """
        query = dict(keep or {})
        sizes = (default_size, max_size)
        if call.op.paging is Paging.OFFSET:
            return self._offset(call, items, base, query, sizes)
        if call.op.paging is Paging.CONTINUATION:
            return self._continuation(call, items, base, query, sizes, body_token)
        # A programming error: a handler paging an operation the catalog says does not page.
        raise RuntimeError(f"the catalog declares no paging for {call.op.name}")

    def _offset(
        self, call: Call, items: Sequence[Any], base: str, query: dict[str, str], sizes: _Sizes
    ) -> Json:
        """One page by ``size``/``offset``; ``next`` while items remain."""
        default_size, max_size = sizes
        size = int_param(call, "size", default_size, minimum=1, maximum=max_size)
        start = int_param(call, "offset", 0, minimum=0, maximum=10**9)
        page = list(items[start : start + size])
        self_uri = _uri(base, {**query, "size": str(size), "offset": str(start)})
        next_link = None
        if start + size < len(items):
            next_link = link(_uri(base, {**query, "size": str(size), "offset": str(start + size)}))
        return collection(page, self_uri=self_uri, next_link=next_link)

    def _continuation(
        self,
        call: Call,
        items: Sequence[Any],
        base: str,
        query: dict[str, str],
        sizes: _Sizes,
        body_token: bool,
    ) -> Json:
        """One page by continuation token (``seekOperation=Next`` + ``MS-ContinuationToken``)."""
        default_size, max_size = sizes
        fingerprint = _fingerprint(call.op.name, query)
        seek = call.query.get("seekoperation")
        if seek is not None and seek.lower() != "next":
            raise invalid("The parameter 'seekOperation' must be 'Next'.")
        if seek is not None:
            token = call.headers.get(HEADER_CONTINUATION_TOKEN) or call.query.get(
                "continuationtoken"
            )
            if not token:
                raise invalid("seekOperation=Next needs the MS-ContinuationToken header.")
            start, size = self._read(token, fingerprint)
        else:
            start = 0
            size = int_param(call, "size", default_size, minimum=1, maximum=max_size)
        page = list(items[start : start + size])
        self_uri = _uri(base, {**query, "size": str(size)})
        next_link = None
        extra: Json = {}
        if start + size < len(items):
            token = self._write(start + size, size, fingerprint)
            next_link = link(
                _uri(base, {**query, "size": str(size), "seekOperation": "Next"}),
                headers=[(HEADER_CONTINUATION_TOKEN, token)],
            )
            if body_token:
                extra["continuationToken"] = token
        return collection(page, self_uri=self_uri, next_link=next_link, extra=extra)

    def _write(self, start: int, size: int, fingerprint: str) -> str:
        payload = f"{start}:{size}:{fingerprint}".encode("ascii")
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + mac).decode("ascii")

    def _read(self, token: str, fingerprint: str) -> tuple[int, int]:
        error = invalid("The continuation token is invalid or belongs to another query.")
        if len(token) > _TOKEN_MAX_CHARS:
            raise error
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (ValueError, binascii.Error):
            raise error from None
        payload, mac = raw[:-12], raw[-12:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:12]
        if len(raw) <= 12 or not hmac.compare_digest(mac, expected):
            raise error
        try:
            start_text, size_text, found = payload.decode("ascii").split(":", 2)
            start, size = int(start_text), int(size_text)
        except ValueError:
            raise error from None
        if found != fingerprint:
            raise error
        return start, size


def _fingerprint(name: str, query: dict[str, str]) -> str:
    text = name + "?" + urlencode(sorted(query.items()))
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:16]
