"""App-only tokens with a client assertion you provide (``client_credentials`` with
``private_key_jwt``, RFC 7523): a federated token from a workload identity (a Kubernetes
service account token exchanged through a federated identity credential), or an assertion
signed by a key that never leaves an HSM or a key vault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Unpack

from .arguments import check_client_id, check_tenant
from .client_auth import AssertionAuth
from .client_credential import ClientAssertion
from .token_endpoint import CredentialOptions, TokenEndpointCore, TokenEndpointCredential

__all__ = ["ClientAssertionCredential", "ClientAssertionFlows"]


class ClientAssertionFlows(TokenEndpointCore):
    """A client-assertion credential's arguments (the callable, asked per request)."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        assertion: Callable[[], str] | ClientAssertion,
        **options: Unpack[CredentialOptions],
    ) -> None:
        tenant = check_tenant(tenant_id)
        client = check_client_id(client_id)
        if not isinstance(assertion, ClientAssertion):
            assertion = ClientAssertion(assertion)
        super().__init__(
            kind="assertion",
            tenant_id=tenant,
            client_id=client,
            client_auth=AssertionAuth(assertion.provider),
            **options,
        )


class ClientAssertionCredential(ClientAssertionFlows, TokenEndpointCredential):
    """App-only tokens for an app registration that authenticates with an assertion you
    provide: ``assertion`` is a callable returning a signed JWT (or a
    :class:`~partnercenter.ClientAssertion`), called for every token request, since Azure AD
    refuses a replayed assertion. Other options: :class:`CredentialOptions`.

    >>> credential = ClientAssertionCredential(tenant, client_id, read_token)  # doctest: +SKIP
    """
