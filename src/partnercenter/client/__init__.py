"""The Partner Center REST client: :class:`PartnerClient` (blocking; the async twin is
:class:`partnercenter.aio.AsyncPartnerClient`).

Modules: :mod:`.core` (pure: settings, calls, headers, pre-flight checks), :mod:`.policy` (pure
retry decisions), :mod:`.responses` (pure: answers and error bodies), :mod:`.flow` (one call as
a generator flow), :mod:`.paging` (both paging styles; a page walk as a flow),
:mod:`.calls` (the typed operations' calls), :mod:`.concurrency` (bounded fan-out),
:mod:`.base` (everything the blocking and the async client share) and :mod:`.client` (the
blocking client: the core run by the blocking driver).
The operations catalog is :mod:`partnercenter._contract.operations`; the typed methods are
generated from
it (``_operations_sync.py``, by ``_codegen.py``).
"""

from __future__ import annotations

from .client import PartnerClient
from .concurrency import Outcome
from .core import ApiCall, ClientSettings, MfaCheck
from .paging import NextPage, Page, Pager
from .responses import ApiResponse

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
