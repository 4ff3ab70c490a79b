"""What the interactive app + user credentials share: redeem the stored refresh token
(:mod:`.redemption`), and fall back to an interactive sign-in whose refresh token is then
stored, so that later calls are silent.

:class:`UserSignInCredential` is the base of :class:`~partnercenter.DeviceCodeCredential` and
:class:`~partnercenter.InteractiveBrowserCredential`.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Unpack

from .._core.steps import Flow, FlowLock, Within
from ..errors import (
    InteractionRequiredError,
    InvalidGrantError,
    MfaMissingError,
)
from ..redaction import safe_repr
from ..stores import AsyncRefreshTokenStore, MemoryRefreshTokenStore, RefreshTokenStore
from ..tokens import AccessToken
from .base import CacheKey
from .client_credential import ClientCredential
from .protocol import TokenResponse
from .redemption import store_call
from .refresh_token import StoredRefreshTokenCore, UserCredentialOptions
from .signin_protocol import signed_in_user
from .token_endpoint import TokenEndpointCredential

__all__ = [
    "SignInRequest",
    "SignInResult",
    "UserSignInCredential",
    "UserSignInFlows",
    "check_mfa",
    "sign_in_result",
]

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


@dataclass(frozen=True, slots=True)
class SignInRequest:
    """One interactive sign-in to run: for ``scopes`` at ``tenant`` (with a claims challenge,
    or not); ``check`` refuses its token response by raising (e.g. :func:`check_mfa`)."""

    scopes: tuple[str, ...]
    tenant: str
    claims: str | None
    check: Callable[[TokenResponse], None] = accept_sign_in


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


class UserSignInFlows(StoredRefreshTokenCore, abc.ABC):
    """What the interactive app + user credentials share, blocking or async.

    ``get_token`` first redeems the stored refresh token silently; when there is none, or Azure
    AD refuses it (expired, revoked, consent missing), it runs the interactive sign-in (the
    subclass's :meth:`_sign_in_flow`) and stores the refresh token it returns. One sign-in at a
    time per credential.
    """

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        kind: str,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None,
        store_key: str | None,
        client_credential: ClientCredential | None,
        **options: Unpack[UserCredentialOptions],
    ) -> None:
        self._sign_in_lock = FlowLock()
        self._keep_store(
            kind=kind,
            tenant_id=tenant_id,
            client_id=client_id,
            refresh_token=None,
            store=store if store is not None else MemoryRefreshTokenStore(),
            store_key=store_key,
            client_credential=client_credential,
            options=options,
        )

    def _silent_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[TokenResponse | None]:
        try:
            response = yield from self._redeem_flow(scopes, tenant, claims)
        except (InvalidGrantError, InteractionRequiredError) as exc:
            logger.info(
                "the stored refresh token was refused (%s, AADSTS%s): signing in interactively",
                exc.error,
                exc.code,
            )
            return None
        return response

    def _fetch_flow(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[AccessToken]:
        response = yield from self._silent_flow(scopes, tenant, claims)
        if response is None:
            response = yield Within(
                self._sign_in_lock, lambda _: self._sign_in_unless_done(scopes, tenant, claims)
            )
        assert response is not None
        return response.access_token

    def _sign_in_unless_done(
        self, scopes: tuple[str, ...], tenant: str, claims: str | None
    ) -> Flow[TokenResponse]:
        # Another caller may have signed in while this one waited for the lock.
        response = yield from self._silent_flow(scopes, tenant, claims)
        if response is None:
            response = yield from self._sign_in_and_store(SignInRequest(scopes, tenant, claims))
        return response

    def _sign_in_and_store(self, sign_in: SignInRequest) -> Flow[TokenResponse]:
        # The sign-in runs the check itself: a browser sign-in tells the user its outcome.
        response = yield from self._sign_in_flow(sign_in)
        if response.refresh_token:
            yield store_call(self._store, "save", self.store_key, response.refresh_token)
        else:
            logger.warning(
                "the sign-in returned no refresh token: later calls will need another sign-in"
            )
        return response

    def _authenticate_flow(
        self, scopes: tuple[str, ...], tenant_id: str | None, require_mfa: bool
    ) -> Flow[SignInResult]:
        tenant = self._resolve_tenant(tenant_id)
        request_scopes = self._request_scopes(scopes)
        sign_in = SignInRequest(
            request_scopes, tenant, None, check_mfa if require_mfa else accept_sign_in
        )
        response: TokenResponse = yield Within(
            self._sign_in_lock, lambda _: self._sign_in_and_store(sign_in)
        )
        key: CacheKey = (self._identity, tenant_id, scopes or self._default_scopes)
        self._cache.set(key, self._entry(response.access_token))
        return sign_in_result(response, self.client_id, self.store_key, request_scopes)

    @abc.abstractmethod
    def _sign_in_flow(self, sign_in: SignInRequest) -> Flow[TokenResponse]:
        """Run the interactive sign-in, ``sign_in.check`` its token response (which raises to
        refuse it) and return it (with a refresh token)."""


class UserSignInCredential(UserSignInFlows, TokenEndpointCredential, abc.ABC):
    """Base of the blocking interactive app + user credentials."""

    @property
    def store(self) -> RefreshTokenStore:
        """The store that keeps the refresh token between calls (and processes)."""
        return self._store  # type: ignore[return-value]  # async stores are refused here

    def authenticate(
        self, *scopes: str, tenant_id: str | None = None, require_mfa: bool = False
    ) -> SignInResult:
        """Sign in interactively now (even if a refresh token is stored), store the new refresh
        token and cache the access token; later ``get_token`` calls are silent.

        ``require_mfa=True`` refuses a sign-in without MFA (the token's ``amr`` lacks ``mfa``)
        with :class:`~partnercenter.errors.MfaMissingError`, storing nothing.
        """
        return self._run(self._authenticate_flow(scopes, tenant_id, require_mfa))


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
