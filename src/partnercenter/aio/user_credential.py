"""Async base of the interactive app + user credentials: the flows of
:class:`partnercenter._credentials.user_credential.UserSignInFlows`, run by the async driver."""

from __future__ import annotations

import abc

from .._credentials.user_credential import SignInResult, UserSignInFlows
from .token_endpoint import AsyncTokenEndpointCredential

__all__ = ["AsyncUserSignInCredential"]


class AsyncUserSignInCredential(UserSignInFlows, AsyncTokenEndpointCredential, abc.ABC):
    """Base of the async interactive app + user credentials: silent redemption of the stored
    refresh token first, then the interactive sign-in (one at a time per credential)."""

    async def authenticate(
        self, *scopes: str, tenant_id: str | None = None, require_mfa: bool = False
    ) -> SignInResult:
        """Sign in interactively now, store the refresh token and cache the access token (see
        the blocking twin)."""
        return await self._run(self._authenticate_flow(scopes, tenant_id, require_mfa))
