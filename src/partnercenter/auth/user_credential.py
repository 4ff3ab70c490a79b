"""What the interactive app + user credentials share: redeem the stored refresh token
(:mod:`.redemption`), and fall back to an interactive sign-in whose refresh token is then
stored, so that later calls are silent.

:class:`UserSignInCredential` is the base of :class:`~partnercenter.DeviceCodeCredential` and
:class:`~partnercenter.InteractiveBrowserCredential`.
"""

from __future__ import annotations

import abc
import inspect
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from ..clouds import Cloud
from ..errors import (
    ConfigurationError,
    InteractionRequiredError,
    InvalidGrantError,
    MfaMissingError,
)
from ..redaction import safe_repr
from ..stores import MemoryRefreshTokenStore, RefreshTokenStore
from ..stores.base import refresh_token_account
from ..tokens import AccessToken
from .assertion import AssertionAlgorithm
from .base import CacheKey
from .protocol import TokenResponse
from .redemption import redeem_stored
from .refresh_token import refresh_token_setup
from .signin_protocol import signed_in_user
from .token_endpoint import CredentialOptions, TokenEndpointCredential

__all__ = ["SignInResult", "UserSignInCredential", "check_mfa", "sign_in_result"]

logger = logging.getLogger("partnercenter.auth")


@dataclass(frozen=True, slots=True, repr=False)
class SignInResult:
    """The outcome of an interactive sign-in (:meth:`UserSignInCredential.authenticate`, or
    :func:`partnercenter.secure_app_consent`).

    ``access_token`` is the token the sign-in returned (its ``repr`` hides the value);
    ``username`` the signed-in user (UPN); ``tenant_id`` the tenant that issued the token;
    ``store_key`` where the refresh token was saved (``None`` if it was not). The refresh token
    itself is never exposed here: it is in the store.
    """

    access_token: AccessToken
    username: str | None
    tenant_id: str | None
    client_id: str
    store_key: str | None
    scopes: tuple[str, ...]

    @property
    def has_mfa(self) -> bool:
        """True when the sign-in used multi-factor authentication (``amr`` has ``mfa``)."""
        return self.access_token.has_mfa

    @property
    def amr(self) -> tuple[str, ...]:
        """The sign-in methods the token carries (``pwd``, ``mfa``, ``otp``...)."""
        return self.access_token.amr

    def _has_mfa(self) -> object:
        token = self.access_token
        return token.has_mfa if isinstance(token, AccessToken) else None

    def __repr__(self) -> str:
        return (
            f"SignInResult(username={safe_repr(self.username)}, "
            f"tenant_id={safe_repr(self.tenant_id)}, client_id={safe_repr(self.client_id)}, "
            f"has_mfa={safe_repr(self._has_mfa())}, store_key={safe_repr(self.store_key)}, "
            f"scopes={safe_repr(self.scopes)})"
        )


def accept_sign_in(response: TokenResponse) -> None:
    """The check of a sign-in that needs none."""


def check_mfa(response: TokenResponse) -> None:
    """Refuse a sign-in without MFA (:class:`~partnercenter.errors.MfaMissingError`)."""
    token = response.access_token
    amr = token.amr
    if "mfa" in amr:
        return
    user = signed_in_user(token.claims, response.id_token) or "the user"
    shown = ", ".join(amr) if amr else "none readable"
    raise MfaMissingError(
        f"{user} signed in without multi-factor authentication (the token's amr: {shown}). "
        "Partner Center refuses app + user tokens without MFA (401, error 900421), so the "
        "refresh token was not stored.",
        amr=amr,
        hint="Register an MFA method for this user (or have the tenant require MFA, e.g. with "
        "security defaults or Conditional Access), then run the consent sign-in again.",
    )


class UserSignInCredential(TokenEndpointCredential, abc.ABC):
    """Base of the interactive app + user credentials (blocking).

    ``get_token`` first redeems the stored refresh token silently; when there is none, or Azure
    AD refuses it (expired, revoked, consent missing), it runs the interactive sign-in (the
    subclass's :meth:`_sign_in`) and stores the refresh token it returns. One sign-in at a time
    per credential.
    """

    _multi_tenant_ok = True

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        kind: str,
        store: RefreshTokenStore | None,
        store_key: str | None,
        client_secret: str | None,
        certificate_path: str | os.PathLike[str] | None,
        certificate_data: bytes | None,
        password: str | bytes | None,
        private_key: rsa.RSAPrivateKey | None,
        certificate: x509.Certificate | None,
        algorithm: AssertionAlgorithm,
        **options: Unpack[CredentialOptions],
    ) -> None:
        if store is not None and inspect.iscoroutinefunction(getattr(store, "load", None)):
            raise ConfigurationError(
                "store", "is an async store: use the credential of partnercenter.aio"
            )
        tenant, client, auth, resolved, key = refresh_token_setup(
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=None,
            store=store if store is not None else MemoryRefreshTokenStore(),
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
        self._store: RefreshTokenStore = resolved  # type: ignore[assignment]
        self.store_key = key
        self._sign_in_lock = threading.Lock()
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
    def store(self) -> RefreshTokenStore:
        """The store that keeps the refresh token between calls (and processes)."""
        return self._store

    def _silent(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> TokenResponse | None:
        def redeem(refresh_token: str) -> TokenResponse:
            return self._request_token(scopes, tenant, claims, refresh_token=refresh_token)

        try:
            return redeem_stored(self._store, self.store_key, self._clock(), redeem)
        except (InvalidGrantError, InteractionRequiredError) as exc:
            logger.info(
                "the stored refresh token was refused (%s, AADSTS%s): signing in interactively",
                exc.error,
                exc.code,
            )
            return None

    def _fetch(self, scopes: tuple[str, ...], tenant: str, claims: str | None) -> AccessToken:
        response = self._silent(scopes, tenant, claims)
        if response is not None:
            return response.access_token
        with self._sign_in_lock:
            # Another thread may have signed in while this one waited for the lock.
            response = self._silent(scopes, tenant, claims)
            if response is None:
                response = self._sign_in_and_store(scopes, tenant, claims, None)
        return response.access_token

    def _sign_in_and_store(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        check: Callable[[TokenResponse], None] | None,
    ) -> TokenResponse:
        # The sign-in runs the check itself: a browser sign-in tells the user its outcome.
        response = self._sign_in(scopes, tenant, claims, check or accept_sign_in)
        if response.refresh_token:
            self._store.save(self.store_key, response.refresh_token)
        else:
            logger.warning(
                "the sign-in returned no refresh token: later calls will need another sign-in"
            )
        return response

    def authenticate(
        self, *scopes: str, tenant_id: str | None = None, require_mfa: bool = False
    ) -> SignInResult:
        """Sign in interactively now (even if a refresh token is stored), store the new refresh
        token and cache the access token; later ``get_token`` calls are silent.

        ``require_mfa=True`` refuses a sign-in without MFA (the token's ``amr`` lacks ``mfa``)
        with :class:`~partnercenter.errors.MfaMissingError`, storing nothing.
        """
        tenant = self._resolve_tenant(tenant_id)
        request_scopes = self._request_scopes(scopes)
        with self._sign_in_lock:
            response = self._sign_in_and_store(
                request_scopes, tenant, None, check_mfa if require_mfa else None
            )
        key: CacheKey = (self._identity, tenant_id, scopes or self._default_scopes)
        self._cache.set(key, self._entry(response.access_token))
        return sign_in_result(response, self.client_id, self.store_key, request_scopes)

    @abc.abstractmethod
    def _sign_in(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        check: Callable[[TokenResponse], None],
    ) -> TokenResponse:
        """Run the interactive sign-in, ``check`` its token response (which raises to refuse
        it) and return it (with a refresh token)."""


def sign_in_result(
    response: TokenResponse, client_id: str, store_key: str | None, scopes: tuple[str, ...]
) -> SignInResult:
    """The :class:`SignInResult` of a token response (shared with the async twins)."""
    token = response.access_token
    return SignInResult(
        access_token=token,
        username=signed_in_user(token.claims, response.id_token),
        tenant_id=token.tenant_id,
        client_id=client_id,
        store_key=store_key if response.refresh_token else None,
        scopes=scopes,
    )
