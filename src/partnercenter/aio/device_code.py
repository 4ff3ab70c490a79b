"""Async twin of :class:`partnercenter.DeviceCodeCredential`: the same arguments and flow
(:class:`~partnercenter._credentials.device_code.DeviceCodeFlows`), run by the async driver."""

from __future__ import annotations

from .._credentials.device_code import DeviceCodeFlows
from .user_credential import AsyncUserSignInCredential

__all__ = ["DeviceCodeCredential"]


class DeviceCodeCredential(DeviceCodeFlows, AsyncUserSignInCredential):
    """App + user tokens from a device-code sign-in, async. Same arguments as
    :class:`partnercenter.DeviceCodeCredential`; ``prompt_callback`` may also be async, and
    ``store`` an :class:`~partnercenter.stores.AsyncRefreshTokenStore`."""
