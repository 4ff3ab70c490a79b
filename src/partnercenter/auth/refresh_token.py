"""App + user tokens from a refresh token (the secure application model's runtime path).

Azure AD returns a new refresh token with every access token; the credential writes it back
through a :class:`~partnercenter.stores.RefreshTokenStore` so the newest one is always kept.
The same refresh token can be redeemed against a customer tenant's authority
(``get_token(..., tenant_id=customer)``).
"""

from __future__ import annotations

import inspect
import os
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from .._steps import Flow
from ..clouds import Cloud
from ..errors import ConfigurationError, RefreshTokenMissingError
from ..redaction import shown
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.base import refresh_token_account
from ..tokens import AccessToken
from .arguments import check_client_id, check_identifier, check_secret, check_tenant
from .assertion import AssertionAlgorithm
from .certificate import certificate_auth
from .client_auth import ClientAuth, NoClientAuth, SecretAuth
from .protocol import TokenResponse
from .redemption import redeem_stored
from .token_endpoint import CredentialOptions, TokenEndpointCore, TokenEndpointCredential

__all__ = [
    "RefreshTokenCredential",
    "RefreshTokenFlows",
    "StoredRefreshTokenCore",
    "refresh_token_setup",
]


def refresh_token_setup(
    *,
    tenant_id: str,
    client_id: str,
    refresh_token: str | None,
    store: RefreshTokenStore | AsyncRefreshTokenStore | None,
    store_key: str | None,
    client_secret: str | None,
    certificate_path: str | os.PathLike[str] | None,
    certificate_data: bytes | None,
    password: str | bytes | None,
    private_key: rsa.RSAPrivateKey | None,
    certificate: x509.Certificate | None,
    algorithm: AssertionAlgorithm,
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
    cert_given = any(v is not None for v in (certificate_path, certificate_data, private_key))
    auth: ClientAuth
    if client_secret is not None and cert_given:
        raise ConfigurationError("client_secret", "give a client secret or a certificate, not both")
    if client_secret is not None:
        auth = SecretAuth(client, check_secret("client_secret", client_secret))
    elif cert_given:
        auth = certificate_auth(
            client,
            certificate_path=certificate_path,
            certificate_data=certificate_data,
            password=password,
            private_key=private_key,
            certificate=certificate,
            algorithm=algorithm,
            send_certificate_chain=False,
        )
    else:
        auth = NoClientAuth()  # a public client (e.g. the app used for device-code sign-in)
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
        client_secret: str | None,
        certificate_path: str | os.PathLike[str] | None,
        certificate_data: bytes | None,
        password: str | bytes | None,
        private_key: rsa.RSAPrivateKey | None,
        certificate: x509.Certificate | None,
        algorithm: AssertionAlgorithm,
        options: CredentialOptions,
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
        client_secret: str | None = None,
        certificate_path: str | os.PathLike[str] | None = None,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        certificate: x509.Certificate | None = None,
        algorithm: AssertionAlgorithm = "PS256",
        **options: Unpack[CredentialOptions],
    ) -> None:
        self._keep_store(
            kind="refresh_token",
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
    Confidential apps also pass ``client_secret`` or a certificate (as for
    :class:`CertificateCredential`); public clients pass neither. ``get_token()`` asks for
    Partner Center's ``user_impersonation`` scope; ``tenant_id=`` on ``get_token`` redeems the
    same refresh token against a customer tenant. ``tenant_id`` may also be ``organizations``.
    """

    @property
    def store(self) -> RefreshTokenStore:
        """The store that holds the (rotating) refresh token."""
        return self._store  # type: ignore[return-value]  # async stores are refused here
