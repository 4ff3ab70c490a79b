"""Async twin of :class:`partnercenter.ClientSecretCredential`."""

from __future__ import annotations

from typing import Unpack

from ..auth.client_secret import secret_auth
from .token_endpoint import AsyncCredentialOptions, AsyncTokenEndpointCredential

__all__ = ["ClientSecretCredential"]


class ClientSecretCredential(AsyncTokenEndpointCredential):
    """App-only tokens with a client secret, async. Same arguments as
    :class:`partnercenter.ClientSecretCredential`; ``http_client`` is an ``httpx.AsyncClient``."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        secret_in_header: bool = False,
        **options: Unpack[AsyncCredentialOptions],
    ) -> None:
        tenant, client, auth = secret_auth(tenant_id, client_id, client_secret, secret_in_header)
        super().__init__(
            kind="secret", tenant_id=tenant, client_id=client, client_auth=auth, **options
        )
