"""Async twin of :class:`partnercenter.AzureCredentialAdapter`: wraps an azure-core
``AsyncTokenCredential`` (e.g. ``azure.identity.aio.ManagedIdentityCredential``), with the same
arguments and flow (:class:`~partnercenter._credentials.azure_adapter.AzureAdapterFlows`)."""

from __future__ import annotations

from .._credentials.azure_adapter import AzureAdapterFlows
from .base import AsyncTokenCredentialBase

__all__ = ["AzureCredentialAdapter"]


class AzureCredentialAdapter(AzureAdapterFlows, AsyncTokenCredentialBase):
    """Wrap an azure-core async credential as a :mod:`partnercenter.aio` credential, behind
    this library's cache, refresh policy and single flight (``timing`` as for the blocking
    twin)."""

    async def close(self) -> None:
        """Nothing to release: the wrapped credential is yours and stays open."""
