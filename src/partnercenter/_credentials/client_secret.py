"""App-only tokens with a client secret (``client_credentials``)."""

from __future__ import annotations

from typing import Unpack

from ..errors import ConfigurationError
from .arguments import check_client_id, check_secret, check_tenant
from .client_auth import SecretAuth
from .client_credential import ClientSecret
from .token_endpoint import CredentialOptions, TokenEndpointCore, TokenEndpointCredential

__all__ = ["ClientSecretCredential", "ClientSecretFlows", "secret_auth"]


def secret_auth(
    tenant_id: str, client_id: str, client_secret: str | ClientSecret, basic: bool
) -> tuple[str, str, SecretAuth]:
    """Check the arguments of a secret credential: the secret as a string, or a
    :class:`~partnercenter.ClientSecret` (which says itself whether it goes in a header)."""
    tenant = check_tenant(tenant_id)
    client = check_client_id(client_id)
    if not isinstance(basic, bool):
        raise ConfigurationError("secret_in_header", "must be True or False")
    if isinstance(client_secret, ClientSecret):
        return (
            tenant,
            client,
            SecretAuth(client, client_secret.value, client_secret.in_header or basic),
        )
    secret = check_secret("client_secret", client_secret)
    return tenant, client, SecretAuth(client, secret, basic)


class ClientSecretFlows(TokenEndpointCore):
    """A client-secret credential's arguments (a string or a ``ClientSecret``)."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str | ClientSecret,
        *,
        secret_in_header: bool = False,
        **options: Unpack[CredentialOptions],
    ) -> None:
        tenant, client, auth = secret_auth(tenant_id, client_id, client_secret, secret_in_header)
        super().__init__(
            kind="secret", tenant_id=tenant, client_id=client, client_auth=auth, **options
        )


class ClientSecretCredential(ClientSecretFlows, TokenEndpointCredential):
    """App-only tokens for an app registration with a client secret.

    ``tenant_id`` is the tenant's GUID or a verified domain; ``client_id`` the application id;
    ``client_secret`` the secret's *value*. The secret is sent in the form body, or with HTTP
    Basic when ``secret_in_header=True``. Other options: :class:`CredentialOptions`.

    >>> credential = ClientSecretCredential(tenant, client_id, secret)  # doctest: +SKIP
    >>> credential.get_token().token                                      # doctest: +SKIP
    """
