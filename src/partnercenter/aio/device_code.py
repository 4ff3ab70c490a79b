"""Async twin of :class:`partnercenter.DeviceCodeCredential`."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Unpack

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from .._steps import drive_async
from ..auth.assertion import AssertionAlgorithm
from ..auth.device_code import DeviceCodeRequests, check_device_options, print_device_code
from ..auth.protocol import TokenResponse
from ..auth.signin_flow import device_code_flow
from ..auth.signin_protocol import DeviceCode
from ..stores import AsyncRefreshTokenStore, RefreshTokenStore
from .token_endpoint import AsyncCredentialOptions
from .user_credential import AsyncUserSignInCredential

__all__ = ["DeviceCodeCredential"]


class DeviceCodeCredential(DeviceCodeRequests, AsyncUserSignInCredential):
    """App + user tokens from a device-code sign-in, async. Same arguments as
    :class:`partnercenter.DeviceCodeCredential`; ``prompt_callback`` may also be async, and
    ``store`` an :class:`~partnercenter.stores.AsyncRefreshTokenStore`."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        *,
        prompt_callback: Callable[[DeviceCode], object] | None = None,
        sign_in_timeout: float | None = None,
        store: RefreshTokenStore | AsyncRefreshTokenStore | None = None,
        store_key: str | None = None,
        client_secret: str | None = None,
        certificate_path: str | os.PathLike[str] | None = None,
        certificate_data: bytes | None = None,
        password: str | bytes | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        certificate: x509.Certificate | None = None,
        algorithm: AssertionAlgorithm = "PS256",
        **options: Unpack[AsyncCredentialOptions],
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
            client_secret=client_secret,
            certificate_path=certificate_path,
            certificate_data=certificate_data,
            password=password,
            private_key=private_key,
            certificate=certificate,
            algorithm=algorithm,
            **options,
        )

    async def _sign_in(
        self,
        scopes: tuple[str, ...],
        tenant: str,
        claims: str | None,
        check: Callable[[TokenResponse], None],
    ) -> TokenResponse:
        flow = device_code_flow(
            lambda now: self._device_start(tenant, scopes, now),
            lambda now, code: self._device_poll(tenant, scopes, code, now),
            self._prompt_callback,
            retry=self._retry,
            timing=self._timing,
            timeout=self._sign_in_timeout,
        )
        response = await drive_async(flow, self._client().send, self._timing.async_sleep)
        check(response)
        return response
