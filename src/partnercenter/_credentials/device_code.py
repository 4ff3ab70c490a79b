"""Device-code sign-in (RFC 8628): for machines without a browser (SSH sessions, containers).

The credential asks Azure AD for a code, shows the user where to enter it (the prompt callback;
by default the message is printed), and polls the token endpoint until the user has signed in
on any other device. The refresh token goes to the store, so later calls are silent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Unpack

from .._core.steps import Flow
from ..errors import ConfigurationError
from ..stores import AsyncRefreshTokenStore, RefreshTokenStore
from .arguments import check_sign_in_timeout
from .client_credential import ClientCredential
from .protocol import TokenRequest, TokenResponse
from .refresh_token import UserCredentialOptions
from .signin_flow import device_code_flow
from .signin_protocol import DeviceCode, device_code_form, device_code_request
from .user_credential import SignInRequest, UserSignInCredential, UserSignInFlows

__all__ = [
    "DeviceCodeCredential",
    "DeviceCodeFlows",
    "check_device_options",
    "print_device_code",
]


def print_device_code(device_code: DeviceCode) -> None:
    """The default prompt: print Azure AD's message (where to go, which code) to stderr."""
    print(device_code.message, file=sys.stderr)
    sys.stderr.flush()


def check_device_options(prompt_callback: object, sign_in_timeout: object) -> None:
    """Check the device-code options (shared with the async twin)."""
    if prompt_callback is not None and not callable(prompt_callback):
        raise ConfigurationError("prompt_callback", "must be a callable taking a DeviceCode")
    check_sign_in_timeout(sign_in_timeout)


class DeviceCodeFlows(UserSignInFlows):
    """The arguments and the sign-in flow of a device-code credential, blocking or async."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        prompt_callback: Callable[[DeviceCode], object] | None = None,
        sign_in_timeout: float | None = None,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None = None,
        store_key: str | None = None,
        client_credential: ClientCredential | None = None,
        **options: Unpack[UserCredentialOptions],
    ) -> None:
        check_device_options(prompt_callback, sign_in_timeout)
        self._prompt_callback = prompt_callback or print_device_code
        self._sign_in_timeout = sign_in_timeout
        super().__init__(
            tenant_id,
            client_id,
            kind="device_code",
            store=store,
            store_key=store_key,
            client_credential=client_credential,
            **options,
        )

    def _device_start(self, tenant: str, scopes: tuple[str, ...], now: float) -> TokenRequest:
        # The devicecode endpoint takes no client credential: only the polls authenticate.
        return device_code_request(
            self.cloud, tenant, self.client_id, scopes, self.endpoint_version
        )

    def _device_poll(
        self, tenant: str, scopes: tuple[str, ...], code: DeviceCode, now: float
    ) -> TokenRequest:
        url = self.cloud.token_url(tenant, self.endpoint_version)
        auth = self._client_auth.parts(url, now)
        form = device_code_form(self.client_id, code.device_code, scopes, self.endpoint_version)
        form.update(auth.form)
        return TokenRequest(
            url=url,
            form=form,
            headers=dict(auth.headers),
            secrets=(*auth.secrets, code.device_code),
        )

    def _sign_in_flow(self, sign_in: SignInRequest) -> Flow[TokenResponse]:
        tenant, scopes = sign_in.tenant, sign_in.scopes
        response = yield from device_code_flow(
            lambda now: self._device_start(tenant, scopes, now),
            lambda now, code: self._device_poll(tenant, scopes, code, now),
            self._prompt_callback,
            retry=self._retry,
            timing=self._timing,
            timeout=self._sign_in_timeout,
        )
        sign_in.check(response)
        return response


class DeviceCodeCredential(DeviceCodeFlows, UserSignInCredential):
    """App + user tokens from a device-code sign-in (no browser needed on this machine).

    The first ``get_token`` (or :meth:`authenticate`) gets a code from Azure AD and calls
    ``prompt_callback`` with a :class:`~partnercenter._credentials.signin_protocol.DeviceCode`
    (``message``, ``user_code``, ``verification_uri``, ``expires_on``); the default prints the
    message. The user opens the page on any device, enters the code and signs in (MFA,
    consent); meanwhile the credential polls, honouring ``interval`` and ``slow_down``.
    ``sign_in_timeout`` stops waiting earlier than the code's own expiry (15 minutes).

    The refresh token is kept in ``store`` (default: in memory) under ``store_key``; later calls
    redeem it silently. ``client_secret`` or a certificate for confidential apps, as for
    :class:`~partnercenter.RefreshTokenCredential`. Other options:
    :class:`~partnercenter._credentials.token_endpoint.CredentialOptions`.
    """
