"""Async twin of :class:`partnercenter.auth.user_credential.UserSignInCredential`."""

from __future__ import annotations

import abc
import logging
import os
from collections.abc import Callable
from typing import Unpack

import anyio
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..auth.assertion import AssertionAlgorithm
from ..auth.base import CacheKey
from ..auth.protocol import TokenResponse
from ..auth.refresh_token import refresh_token_setup
from ..auth.user_credential import SignInResult, accept_sign_in, check_mfa, sign_in_result
from ..clouds import Cloud
from ..errors import InteractionRequiredError, InvalidGrantError
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.base import refresh_token_account
from ..tokens import AccessToken
from .redemption import call_store, redeem_stored
from .token_endpoint import AsyncCredentialOptions, AsyncTokenEndpointCredential

__all__ = ["AsyncUserSignInCredential"]

logger = logging.getLogger("partnercenter.auth")


class AsyncUserSignInCredential(AsyncTokenEndpointCredential, abc.ABC):
    """Base of the async interactive app + user credentials: silent redemption of the stored
    refresh token first, then the interactive sign-in (one at a time per credential)."""

    _multi_tenant_ok = True

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        kind: str,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None,
        store_key: str | None,
        client_secret: str | None,
        certificate_path: str | os.PathLike[str] | None,
        certificate_data: bytes | None,
        password: str | bytes | None,
        private_key: rsa.RSAPrivateKey | None,
        certificate: x509.Certificate | None,
        algorithm: AssertionAlgorithm,
        **options: Unpack[AsyncCredentialOptions],
    ) -> None:
        tenant, client, auth, resolved, key = refresh_token_setup(
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=None,
            store=store if store is not None else MemoryRefreshTokenStore(),
            store_key=store_key,
            client_secret=client_secret,
            certificate_path=certificate_path,
            certificate_data=certificate_data,
            password=password,
            private_key=private_key,
            certificate=certificate,
            algorithm=algorithm,
            cloud=options.get("cloud", Cloud.GLOBAL),
        )
        self._store = resolved
        self.store_key = key
        # Made on first use, inside the event loop (anyio primitives need one).
        self._sign_in_lock: anyio.Lock | None = None
        super().__init__(
            kind=kind,
            tenant_id=tenant,
            client_id=client,
            client_auth=auth,
            delegated=True,
            account=refresh_token_account(resolved, key),
            **options,
        )

    @property
    def store(self) -> RefreshTokenStore | AsyncRefreshTokenStore:
        """The store that keeps the refresh token between calls (and processes)."""
        return self._store

    def _lock(self) -> anyio.Lock:
        if self._sign_in_lock is None:
            self._sign_in_lock = anyio.Lock()
        return self._sign_in_lock

    async def _silent(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> TokenResponse | None:
        async def redeem(refresh_token: str) -> TokenResponse:
            return await self._request_token(scopes, tenant, claims, refresh_token=refresh_token)

        try:
            return await redeem_stored(self._store, self.store_key, self._clock(), redeem)
        except (InvalidGrantError, InteractionRequiredError) as exc:
            logger.info(
                "the stored refresh token was refused (%s, AADSTS%s): signing in interactively",
                exc.error,
                exc.code,
            )
            return None

    async def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        response = await self._silent(scopes, tenant, claims)
        if response is not None:
            return response.access_token
        async with self._lock():
            response = await self._silent(scopes, tenant, claims)
            if response is None:
                response = await self._sign_in_and_store(scopes, tenant, claims, None)
        return response.access_token

    async def _sign_in_and_store(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        check: Callable[[TokenResponse], None] | None,
    ) -> TokenResponse:
        response = await self._sign_in(scopes, tenant, claims, check or accept_sign_in)
        if response.refresh_token:
            await call_store(self._store, "save", self.store_key, response.refresh_token)
        else:
            logger.warning(
                "the sign-in returned no refresh token: later calls will need another sign-in"
            )
        return response

    async def authenticate(
        self, *scopes: str, tenant_id: str | None = None, require_mfa: bool = False
    ) -> SignInResult:
        """Sign in interactively now, store the refresh token and cache the access token (see
        the blocking twin)."""
        tenant = self._resolve_tenant(tenant_id)
        request_scopes = self._request_scopes(scopes)
        async with self._lock():
            response = await self._sign_in_and_store(
                request_scopes, tenant, None, check_mfa if require_mfa else None
            )
        key: CacheKey = (self._identity, tenant_id, scopes or self._default_scopes)
        self._cache.set(key, self._entry(response.access_token))
        return sign_in_result(response, self.client_id, self.store_key, request_scopes)

    @abc.abstractmethod
    async def _sign_in(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        check: Callable[[TokenResponse], None],
    ) -> TokenResponse:
        """Run the interactive sign-in, ``check`` its token response and return it."""
