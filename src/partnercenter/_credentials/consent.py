"""The secure application model's one-time step: sign in with MFA, store the refresh token.

Partner Center app + user calls need a token that carries MFA, and unattended jobs cannot do
MFA. Microsoft's answer (the "secure application model") is to sign in once, interactively, with
MFA, keep the refresh token, and let the job redeem it unattended from then on: every
redemption returns a new refresh token (saved back to the store) and keeps the MFA claim of the
original sign-in. :func:`secure_app_consent` is that one-time step; afterwards::

    credential = RefreshTokenCredential(tenant_id, client_id, store=store)
    credential.get_token()          # silent, rotating, warns before the 90-day limit
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Literal, Unpack

from ..errors import ConfigurationError
from ..redaction import describe
from ..stores import RefreshTokenStore
from .client_credential import ClientCredential
from .device_code import DeviceCodeCredential
from .interactive import DEFAULT_SIGN_IN_TIMEOUT, InteractiveBrowserCredential, OpenBrowser
from .refresh_token import UserCredentialOptions
from .signin_protocol import DeviceCode
from .user_credential import SignInResult, UserSignInCredential

__all__ = ["SignInMethod", "secure_app_consent"]

logger = logging.getLogger("partnercenter.auth")

#: How :func:`secure_app_consent` signs in: the system browser, or a device code.
SignInMethod = Literal["browser", "device_code"]


def secure_app_consent(
    tenant_id: str,
    client_id: str,
    *,
    store: RefreshTokenStore,
    store_key: str | None = None,
    method: SignInMethod = "browser",
    require_mfa: bool = True,
    scopes: tuple[str, ...] = (),
    client_credential: ClientCredential | None = None,
    open_browser: OpenBrowser = True,
    redirect_port: int = 0,
    login_hint: str | None = None,
    prompt: str | None = "select_account",
    prompt_callback: Callable[[DeviceCode], object] | None = None,
    sign_in_timeout: float | None = None,
    **options: Unpack[UserCredentialOptions],
) -> SignInResult:
    """Run the secure application model's one-time sign-in and keep its refresh token.

    A person signs in to ``tenant_id`` for the app ``client_id``, in the browser
    (``method="browser"``: authorization code + PKCE through a loopback redirect) or with a
    device code (``method="device_code"``), completing MFA and consenting to the app's
    permissions (Partner Center ``user_impersonation`` by default; ``scopes`` to change it).

    With ``require_mfa`` (the default) the access token's ``amr`` must contain ``mfa``;
    otherwise :class:`~partnercenter.errors.MfaMissingError` explains why and **nothing is
    stored** (Partner Center would refuse every token redeemed from it). On success the refresh
    token is saved in ``store`` under ``store_key`` (default ``"{authority host}|{client id}"``,
    the key :class:`~partnercenter.RefreshTokenCredential` reads by default) and the result
    says who signed in.

    Confidential apps pass ``client_credential`` (a :class:`~partnercenter.ClientSecret`,
    :class:`~partnercenter.ClientCertificate` or :class:`~partnercenter.ClientAssertion`), or
    the same as separate keywords (``client_secret``, ``certificate_path``...). Browser
    options: ``open_browser``, ``redirect_port``, ``login_hint``, ``prompt``; device-code
    option: ``prompt_callback``; ``sign_in_timeout`` for both. ``cloud``, ``verify`` and the other
    :class:`~partnercenter._credentials.token_endpoint.CredentialOptions` as for every credential.

    Raises :class:`~partnercenter.errors.MfaMissingError`,
    :class:`~partnercenter.errors.AccessDeniedError` (consent declined),
    :class:`~partnercenter.errors.SignInError` (no redirect in time) or another
    :class:`~partnercenter.errors.AuthenticationError`.
    """
    if store is None:
        raise ConfigurationError(
            "store",
            "is required: the refresh token must be kept somewhere",
            hint="Use FileRefreshTokenStore() (encrypted) or KeyringRefreshTokenStore().",
        )
    if not isinstance(require_mfa, bool):
        raise ConfigurationError("require_mfa", "must be True or False")
    if method not in ("browser", "device_code"):
        raise ConfigurationError(
            "method", f"must be 'browser' or 'device_code', not {describe(method)}"
        )
    credential: UserSignInCredential
    if method == "browser":
        credential = InteractiveBrowserCredential(
            tenant_id,
            client_id,
            open_browser=open_browser,
            redirect_port=redirect_port,
            login_hint=login_hint,
            prompt=prompt,
            sign_in_timeout=sign_in_timeout or DEFAULT_SIGN_IN_TIMEOUT,
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            **options,
        )
    else:
        credential = DeviceCodeCredential(
            tenant_id,
            client_id,
            prompt_callback=prompt_callback,
            sign_in_timeout=sign_in_timeout,
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            **options,
        )
    with credential:
        check: Callable[[], object] | None = getattr(store, "check", None)
        if check is not None:
            # A store that cannot be written would waste the sign-in: find out first.
            check()
        result = credential.authenticate(*scopes, require_mfa=require_mfa)
    logger.info(
        "secure application model consent: %s signed in (MFA: %s); refresh token stored under %r",
        result.username,
        result.has_mfa,
        result.store_key,
    )
    return result
