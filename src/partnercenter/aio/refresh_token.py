"""Async twin of :class:`partnercenter.RefreshTokenCredential`.

Takes a blocking store (memory, file) or an async one (e.g. asyncio Redis): whatever
``load``/``save`` return is awaited when it is awaitable.
"""

from __future__ import annotations

import os
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..auth.assertion import AssertionAlgorithm
from ..auth.protocol import TokenResponse
from ..auth.refresh_token import missing_refresh_token, refresh_token_setup
from ..clouds import Cloud
from ..stores import AsyncRefreshTokenStore, RefreshTokenStore
from ..stores.base import refresh_token_account
from ..tokens import AccessToken
from .redemption import redeem_stored
from .token_endpoint import AsyncCredentialOptions, AsyncTokenEndpointCredential

__all__ = ["RefreshTokenCredential"]


class RefreshTokenCredential(AsyncTokenEndpointCredential):
    """App + user tokens redeemed from a rotating refresh token, async. Same arguments as
    :class:`partnercenter.RefreshTokenCredential`; ``store`` may also be an
    :class:`~partnercenter.stores.AsyncRefreshTokenStore`."""

    _multi_tenant_ok = True

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        refresh_token: str | None = None,
        *,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None = None,
        store_key: str | None = None,
        client_secret: str | None = None,
        certificate_path: str | os.PathLike[str] | None = None,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        certificate: x509.Certificate | None = None,
        algorithm: AssertionAlgorithm = "PS256",
        **options: Unpack[AsyncCredentialOptions],
    ) -> None:
        tenant, client, auth, resolved, key = refresh_token_setup(
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=refresh_token,
            store=store,
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
        super().__init__(
            kind="refresh_token",
            tenant_id=tenant,
            client_id=client,
            client_auth=auth,
            delegated=True,
            account=refresh_token_account(resolved, key),
            **options,
        )

    @property
    def store(self) -> RefreshTokenStore | AsyncRefreshTokenStore:
        """The store that holds the (rotating) refresh token."""
        return self._store

    async def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        async def redeem(refresh_token: str) -> TokenResponse:
            return await self._request_token(scopes, tenant, claims, refresh_token=refresh_token)

        # Rotation, the inactivity warning and the retry after a concurrent rotation, as in the
        # blocking credential.
        response = await redeem_stored(self._store, self.store_key, self._clock(), redeem)
        if response is None:
            raise missing_refresh_token(self.store_key)
        return response.access_token
