"""Async twin of :class:`partnercenter.ClientSecretCredential` (the same arguments,
:class:`~partnercenter._credentials.client_secret.ClientSecretFlows`, run by the async driver)."""

from __future__ import annotations

from .._credentials.client_secret import ClientSecretFlows
from .token_endpoint import AsyncTokenEndpointCredential

__all__ = ["ClientSecretCredential"]


class ClientSecretCredential(ClientSecretFlows, AsyncTokenEndpointCredential):
    """App-only tokens with a client secret, async. Same arguments as
    :class:`partnercenter.ClientSecretCredential`; ``http_client`` is an ``httpx.AsyncClient``."""
