"""App + user tokens from a refresh token (the secure application model's runtime path).

Azure AD returns a new refresh token with every access token; the credential writes it back
through a :class:`~partnercenter.stores.RefreshTokenStore` so the newest one is always kept.
The same refresh token can be redeemed against a customer tenant's authority
(``get_token(..., tenant_id=customer)``).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from typing import Any, Final, TypedDict, Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from .._core.steps import Flow
from ..clouds import Cloud
from ..errors import ConfigurationError, RefreshTokenMissingError
from ..redaction import shown
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.base import refresh_token_account
from ..tokens import AccessToken
from .arguments import (
    check_algorithm,
    check_client_id,
    check_identifier,
    check_secret,
    check_tenant,
)
from .assertion import AssertionAlgorithm
from .certificate import certificate_auth
from .client_auth import ClientAuth, NoClientAuth, SecretAuth
from .client_credential import ClientCredential, client_auth_for
from .protocol import TokenResponse
from .redemption import redeem_stored
from .token_endpoint import CredentialOptions, TokenEndpointCore, TokenEndpointCredential

__all__ = [
    "ClientAuthOptions",
    "RefreshTokenCredential",
    "RefreshTokenFlows",
    "StoredRefreshTokenCore",
    "UserCredentialOptions",
    "refresh_token_setup",
    "split_options",
    "user_client_auth",
]


class ClientAuthOptions(TypedDict, total=False):
    """The client authentication of an app + user credential as separate keywords (the one
    value ``client_credential=`` says the same): ``client_secret``, or a certificate as
    ``certificate_path`` / ``certificate_data`` (+ ``password``) or ``private_key`` +
    ``certificate``; ``algorithm`` signs certificate assertions (``"PS256"`` or ``"RS256"``)."""

    client_secret: str | None
    certificate_path: str | os.PathLike[str] | None
    certificate_data: bytes | None
    password: str | bytes | None
    private_key: rsa.RSAPrivateKey | None
    certificate: x509.Certificate | None
    algorithm: AssertionAlgorithm


class UserCredentialOptions(CredentialOptions, ClientAuthOptions, total=False):
    """The keyword options of the app + user credentials: :class:`CredentialOptions` and
    :class:`ClientAuthOptions`."""


_CLIENT_AUTH_NAMES: Final = frozenset(ClientAuthOptions.__annotations__)


def split_options(
    options: Mapping[str, Any],
) -> tuple[dict[str, Any], CredentialOptions]:
    """``options`` as (client authentication keywords, the credential's other options)."""
    auth = {k: v for k, v in options.items() if k in _CLIENT_AUTH_NAMES}
    rest = {k: v for k, v in options.items() if k not in _CLIENT_AUTH_NAMES}
    return auth, rest  # type: ignore[return-value]  # the keys were just split by name


def user_client_auth(
    client_id: str, client_credential: object, keywords: Mapping[str, Any]
) -> ClientAuth:
    """The client authentication of an app + user credential: ``client_credential`` (a
    :class:`~partnercenter.ClientSecret`, :class:`~partnercenter.ClientCertificate` or
    :class:`~partnercenter.ClientAssertion`), or the :class:`ClientAuthOptions` keywords, or
    neither (a public client)."""
    algorithm = keywords.get("algorithm", "PS256")
    given = sorted(k for k, v in keywords.items() if k != "algorithm" and v is not None)
    if client_credential is not None:
        if given:
            raise ConfigurationError(
                "client_credential",
                f"give client_credential or {given[0]}, not both",
            )
        check_algorithm(algorithm)
        return client_auth_for(client_id, client_credential, algorithm=algorithm)
    client_secret = keywords.get("client_secret")
    cert_keys = ("certificate_path", "certificate_data", "private_key")
    cert_given = any(keywords.get(k) is not None for k in cert_keys)
    if client_secret is not None and cert_given:
        raise ConfigurationError("client_secret", "give a client secret or a certificate, not both")
    if client_secret is not None:
        return SecretAuth(client_id, check_secret("client_secret", client_secret))
    if cert_given:
        return certificate_auth(
            client_id,
            certificate_path=keywords.get("certificate_path"),
            certificate_data=keywords.get("certificate_data"),
            password=keywords.get("password"),
            private_key=keywords.get("private_key"),
            certificate=keywords.get("certificate"),
            algorithm=algorithm,
            send_certificate_chain=False,
        )
    return NoClientAuth()  # a public client (e.g. the app used for device-code sign-in)


def refresh_token_setup(
    *,
    tenant_id: str,
    client_id: str,
    refresh_token: str | None,
    store: RefreshTokenStore | AsyncRefreshTokenStore | None,
    store_key: str | None,
    client_credential: object,
    client_auth_keywords: Mapping[str, Any],
    cloud: Cloud | str,
) -> tuple[str, str, ClientAuth, RefreshTokenStore | AsyncRefreshTokenStore, str]:
    """Check the arguments of a refresh-token credential (shared with the async twin).

    Returns the tenant, client id, client authentication, store and store key.
    """
    tenant = check_tenant(tenant_id, multi_ok=True)
    client = check_client_id(client_id)
    if (refresh_token is None) == (store is None):
        raise ConfigurationError(
            "refresh_token",
            "pass either refresh_token (kept in memory) or store (which holds it), not "
            + ("both" if store is not None else "neither"),
            hint="To persist rotated refresh tokens, save the first one in the store yourself.",
        )
    if refresh_token is not None:
        check_secret("refresh_token", refresh_token)
    if store is not None and not isinstance(store, RefreshTokenStore | AsyncRefreshTokenStore):
        raise ConfigurationError("store", "must have load(key), save(key, token), delete(key)")
    auth = user_client_auth(client, client_credential, client_auth_keywords)
    if store_key is None:
        resolved_cloud = cloud if isinstance(cloud, Cloud) else Cloud.by_name(cloud)
        authority = resolved_cloud.authority_host
        store_key = f"{authority}|{client}"
    else:
        store_key = check_identifier("store_key", store_key, "a store key")
    if store is None:
        assert refresh_token is not None
        store = MemoryRefreshTokenStore({store_key: refresh_token})
    return tenant, client, auth, store, store_key


def missing_refresh_token(store_key: str) -> RefreshTokenMissingError:
    """The error for an empty store."""
    return RefreshTokenMissingError(
        f"the refresh-token store holds no refresh token under {shown(store_key)}",
        hint="Run the one-time consent sign-in (browser or device code) to get a refresh token, "
        "and save it in the store under this key.",
    )


class StoredRefreshTokenCore(TokenEndpointCore):
    """What every app + user credential shares, blocking or async: a refresh-token store (its
    arguments checked once), and the flow that redeems the stored token."""

    _multi_tenant_ok = True

    def _keep_store(
        self,
        *,
        kind: str,
        tenant_id: str,
        client_id: str,
        refresh_token: str | None,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None,
        store_key: str | None,
        client_credential: ClientCredential | None,
        options: Mapping[str, Any],
    ) -> None:
        """Check the arguments, keep the store, and initialize the rest of the credential."""
        if (
            not self._asynchronous
            and store is not None
            and inspect.iscoroutinefunction(getattr(store, "load", None))
        ):
            raise ConfigurationError(
                "store", f"is an async store: use partnercenter.aio.{type(self).__name__}"
            )
        keywords, credential_options = split_options(options)
        tenant, client, auth, resolved, key = refresh_token_setup(
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=refresh_token,
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            client_auth_keywords=keywords,
            cloud=credential_options.get("cloud", Cloud.GLOBAL),
        )
        self._store = resolved
        self.store_key = key
        super().__init__(
            kind=kind,
            tenant_id=tenant,
            client_id=client,
            client_auth=auth,
            delegated=True,
            account=refresh_token_account(resolved, key),
            **credential_options,
        )

    @property
    def store(self) -> RefreshTokenStore | AsyncRefreshTokenStore:
        """The store that holds the (rotating) refresh token, between calls and processes."""
        return self._store

    def _redeem_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[TokenResponse | None]:
        """Redeem the stored refresh token (``None``: none is stored). Rotation (each new
        refresh token saved back), the 90-day inactivity warning for stores that keep records,
        and a retry when another process rotated the token: :mod:`.redemption`."""
        return redeem_stored(
            self._store,
            self.store_key,
            self._clock(),
            lambda refresh_token: self._token_request_flow(scopes, tenant, claims, refresh_token),
        )


class RefreshTokenFlows(StoredRefreshTokenCore):
    """The arguments and the flow of a refresh-token credential, blocking or async."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        refresh_token: str | None = None,
        *,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None = None,
        store_key: str | None = None,
        client_credential: ClientCredential | None = None,
        **options: Unpack[UserCredentialOptions],
    ) -> None:
        self._keep_store(
            kind="refresh_token",
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=refresh_token,
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            options=options,
        )

    def _fetch_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[AccessToken]:
        response = yield from self._redeem_flow(scopes, tenant, claims)
        if response is None:
            raise missing_refresh_token(self.store_key)
        return response.access_token


class RefreshTokenCredential(RefreshTokenFlows, TokenEndpointCredential):
    """App + user tokens redeemed from a refresh token, rotating it on every use.

    Give the refresh token directly (``refresh_token=``, kept in an in-memory store) or a
    ``store`` that holds it under ``store_key`` (default ``"{authority host}|{client_id}"``).
    Confidential apps also pass ``client_credential``: a :class:`~partnercenter.ClientSecret`,
    a :class:`~partnercenter.ClientCertificate` or a :class:`~partnercenter.ClientAssertion`
    (or the same as separate keywords, :class:`ClientAuthOptions`); public clients pass
    none. ``get_token()`` asks for Partner Center's ``user_impersonation`` scope;
    ``tenant_id=`` on ``get_token`` redeems the same refresh token against a customer tenant.
    ``tenant_id`` may also be ``organizations``.
    """

    @property
    def store(self) -> RefreshTokenStore:
        """The store that holds the (rotating) refresh token."""
        return self._store  # type: ignore[return-value]  # async stores are refused here
