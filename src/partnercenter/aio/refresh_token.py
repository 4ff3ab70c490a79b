"""Async twin of :class:`partnercenter.RefreshTokenCredential`: the same arguments and flow
(:class:`~partnercenter._credentials.refresh_token.RefreshTokenFlows`), run by the async driver.

Takes a blocking store (memory, file: called in a worker thread) or an async one (e.g.
asyncio Redis: awaited).
"""

from __future__ import annotations

from .._credentials.refresh_token import RefreshTokenFlows
from .token_endpoint import AsyncTokenEndpointCredential

__all__ = ["RefreshTokenCredential"]


class RefreshTokenCredential(RefreshTokenFlows, AsyncTokenEndpointCredential):
    """App + user tokens redeemed from a rotating refresh token, async. Same arguments as
    :class:`partnercenter.RefreshTokenCredential`; ``store`` may also be an
    :class:`~partnercenter.stores.AsyncRefreshTokenStore`."""
