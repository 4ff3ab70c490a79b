"""The Partner Center REST client's public names: :class:`PartnerClient` (blocking; the async
twin is :class:`partnercenter.aio.AsyncPartnerClient`), its pager and pages, and the values a
call takes and returns. The implementation is private (``partnercenter._client``).
"""

from __future__ import annotations

from .._client.client import PartnerClient
from .._client.concurrency import Outcome
from .._client.core import ApiCall, ClientSettings, MfaCheck
from .._client.paging import NextPage, Page, Pager
from .._client.responses import ApiResponse

__all__ = [
    "ApiCall",
    "ApiResponse",
    "ClientSettings",
    "MfaCheck",
    "NextPage",
    "Outcome",
    "Page",
    "Pager",
    "PartnerClient",
]
