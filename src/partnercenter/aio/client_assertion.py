"""Async twin of :class:`partnercenter.ClientAssertionCredential` (the same arguments,
:class:`~partnercenter._credentials.client_assertion.ClientAssertionFlows`, run by the async
driver)."""

from __future__ import annotations

from .._credentials.client_assertion import ClientAssertionFlows
from .token_endpoint import AsyncTokenEndpointCredential

__all__ = ["ClientAssertionCredential"]


class ClientAssertionCredential(ClientAssertionFlows, AsyncTokenEndpointCredential):
    """App-only tokens with a client assertion you provide, async. Same arguments as
    :class:`partnercenter.ClientAssertionCredential` (the callable is a plain one: it runs in
    the event loop, so it should not block)."""
