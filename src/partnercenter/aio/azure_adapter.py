"""Async twin of :class:`partnercenter.AzureCredentialAdapter`: wraps an azure-core
``AsyncTokenCredential`` (e.g. ``azure.identity.aio.ManagedIdentityCredential``)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from .._timing import Timing, resolve_timing
from ..auth.azure_adapter import (
    SOURCE_TENANT,
    SupportsGetToken,
    adapter_identity,
    source_arguments,
    source_error,
    to_access_token,
)
from ..auth.cache import TokenCache
from ..clouds import Cloud
from ..errors import ConfigurationError
from ..tokens import AccessToken
from .base import AsyncTokenCredentialBase

__all__ = ["AzureCredentialAdapter"]


class AzureCredentialAdapter(AsyncTokenCredentialBase):
    """Wrap an azure-core async credential as a :mod:`partnercenter.aio` credential, behind
    this library's cache, refresh policy and single flight (``timing`` as for the blocking
    twin)."""

    def __init__(
        self,
        credential: SupportsGetToken,
        *,
        cloud: Cloud | str = Cloud.GLOBAL,
        cache: TokenCache | None = None,
        timing: Timing | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        random: Callable[[], float] | None = None,
    ) -> None:
        if not isinstance(credential, SupportsGetToken):
            raise ConfigurationError(
                "credential", "must be an azure-core AsyncTokenCredential (with get_token)"
            )
        self._source = credential
        super().__init__(
            kind="azure",
            cloud=cloud,
            tenant_id=SOURCE_TENANT,
            client_id=adapter_identity(credential),
            endpoint_version="v2",
            cache=cache,
            # (timing: the clock of the cache and refresh policy; clock=, sleep=, random= are
            # its deprecated spellings. The wrapped credential does its own retrying.)
            timing=resolve_timing(
                timing, clock=clock, sleep=sleep, random=random, asynchronous=True
            ),
        )

    async def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        source: Any = self._source
        options = source_arguments(source, tenant, self.tenant_id, claims)
        try:
            if hasattr(source, "get_token_info"):
                result = source.get_token_info(*scopes, options=options or None)
            else:
                result = source.get_token(*scopes, **options)
            if inspect.isawaitable(result):
                result = await result
        except Exception as exc:
            raise source_error(source, exc) from exc
        return to_access_token(result, self._clock())

    async def close(self) -> None:
        """Nothing to release: the wrapped credential is yours and stays open."""

    def __repr__(self) -> str:
        return f"AzureCredentialAdapter({type(self._source).__name__})"
